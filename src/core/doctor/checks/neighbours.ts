import {type Check, type CheckContext, type Finding, sysctlFix, sysctlNumber} from '../check.js'
import {PORTS_MAX, sourceAddressesNeeded} from '../../needs.js'
import {formatCount} from '../../units.js'

/**
 * The neighbour table (ARP for IPv4, NDISC for IPv6) holds one entry per address on a link this
 * host talks to. Below gc_thresh1 nothing is collected; above gc_thresh2 for 5 s the garbage
 * collector runs; at gc_thresh3 the table is full: the kernel logs "neighbour table overflow" and
 * packets to a new peer are dropped. The defaults are 128, 512 and 1024 entries on both families.
 */
export const NEIGH_DEFAULTS = [128, 512, 1024] as const

function keys(family: 4 | 6): string[] {
  return [1, 2, 3].map((n) => `net.ipv${family}.neigh.default.gc_thresh${n}`)
}

/**
 * Entries the table needs: those in it now, plus the peers N connections add on a link. A server
 * holds one per client address when they share its link (at least one per 64,512 connections to one
 * port); a client's own source addresses are entries the server holds, one each, when both share a
 * link: counted with this host's thresholds, which a load test's two hosts usually share. Loopback
 * adds none (lo has no neighbours).
 */
export function neighboursNeeded(ctx: CheckContext): {now: number; read: boolean; added: number; what: string} {
  const family = ctx.target.family ?? 4
  const seen = ctx.host.neighbours?.[family === 6 ? 'ipv6' : 'ipv4']
  const now = seen ?? 0
  const read = seen !== undefined
  if (ctx.target.role === 'loopback') return {now, read, added: 0, what: 'lo has no neighbours'}
  if (ctx.target.role === 'server') {
    const clients = sourceAddressesNeeded(ctx.target.conns, PORTS_MAX)
    return {now, read, added: clients, what: `${formatCount(clients)} client address${clients > 1 ? 'es' : ''} at least, if the clients share this link`}
  }
  const own = (ctx.host.addresses?.addresses ?? []).filter((a) => a.family === `IPv${family}` && !a.internal && !/^fe[89ab]/i.test(a.address)).length
  return {now, read, added: own, what: `${formatCount(own)} source address${own === 1 ? '' : 'es'} of this host, each an entry on the server when it shares the link`}
}

/** gc_thresh1/2/3 for `entries`: thresh1 above them (nothing collected), then twice and four times that. */
export function neighbourThresholds(entries: number): [number, number, number] {
  const t1 = Math.max(NEIGH_DEFAULTS[0], 2 ** Math.ceil(Math.log2(Math.max(1, entries))))
  return [t1, Math.max(NEIGH_DEFAULTS[1], t1 * 2), Math.max(NEIGH_DEFAULTS[2], t1 * 4)]
}

function evaluate(ctx: CheckContext): Finding {
  const family = ctx.target.family ?? 4
  const [k1, k2, k3] = keys(family)
  const [t1, t2, t3] = [sysctlNumber(ctx, k1), sysctlNumber(ctx, k2), sysctlNumber(ctx, k3)]
  const {now, read, added, what} = neighboursNeeded(ctx)
  const stat = family === 6 ? '/proc/net/stat/ndisc_cache' : '/proc/net/stat/arp_cache'
  const entries = now + added
  const status = entries >= t3 ? 'fail' : entries > t2 ? 'warn' : 'pass'
  const want = neighbourThresholds(entries)
  return {
    status,
    current: `gc_thresh ${t1} ${t2} ${t3}; ${read ? `${formatCount(now)} entries now` : `entries now not read (${stat})`}`,
    needed: `gc_thresh2 >= ${formatCount(entries)} entries: ${read ? `${formatCount(now)} now + ` : ''}${what}`,
    reason: status === 'pass' ? undefined : status === 'fail'
      ? 'at gc_thresh3 the table is full: "neighbour table overflow" in the log, packets to new peers dropped'
      : 'above gc_thresh2 the collector evicts entries after 5 s, and peers are resolved again under load',
    fix: status === 'pass' ? undefined : [k1, k2, k3].map((k, i) => sysctlFix(k, want[i])).join(' && '),
  }
}

export const neighbourChecks: Check[] = [
  {
    id: 'neigh.gc-thresh',
    area: 'ports',
    title: 'neighbour table (gc_thresh1/2/3)',
    reads: ['/proc/sys/net/ipv4/neigh/default/gc_thresh*', '/proc/sys/net/ipv6/neigh/default/gc_thresh*', '/proc/net/stat/arp_cache', '/proc/net/stat/ndisc_cache', 'interface addresses'],
    why: 'one neighbour entry per address on a link a host talks to (ARP for IPv4, NDISC for IPv6; --family picks); many source addresses or clients on one link fill the default 1024 and packets to new peers are dropped',
    evaluate,
  },
]
