import {type Check, type CheckContext, type Finding, Skip, sysctlFix, sysctlNumbers} from '../check.js'
import {portsPerTuple, PORTS_MAX, sourceAddressesNeeded} from '../../needs.js'
import type {LocalAddress} from '../../host-snapshot.js'
import {bigIntToIpv6, ipv6ToBigInt} from '../../ipv6-prefix.js'
import {formatCount} from '../../units.js'

/** Ports of ip_local_reserved_ports ("8080,9000-9010") that fall inside the range. */
export function reservedInRange(text: string | undefined, range: [number, number]): number {
  if (!text) return 0
  let count = 0
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [a, b] = part.split('-').map(Number)
    const lo = Math.max(a, range[0])
    const hi = Math.min(b ?? a, range[1])
    if (hi >= lo) count += hi - lo + 1
  }
  return count
}

function portFacts(ctx: CheckContext) {
  if (ctx.target.role === 'server') throw new Skip('a server accepts on its listening port and uses no ephemeral ports (use --role client or loopback)')
  const [lo, hi] = sysctlNumbers(ctx, 'net.ipv4.ip_local_port_range', 2) as [number, number]
  const reserved = reservedInRange(ctx.host.sysctl['net.ipv4.ip_local_reserved_ports'], [lo, hi])
  const ports = portsPerTuple([lo, hi], reserved)
  return {lo, hi, ports, sources: sourceAddressesNeeded(ctx.target.conns, ports)}
}

/** Next addresses after `base` in its IPv4 subnet that are not in `taken`. */
export function nextFreeAddresses(base: LocalAddress, taken: Set<string>, count: number): string[] {
  const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
  const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')
  const size = 2 ** (32 - base.prefix)
  const network = toInt(base.address) - (toInt(base.address) % size)
  const out: string[] = []
  for (let n = toInt(base.address) + 1; n < network + size - 1 && out.length < count; n++) {
    if (!taken.has(toIp(n))) out.push(toIp(n))
  }
  return out
}

/** Next addresses after `base` in its IPv6 prefix that are not in `taken`. */
export function nextFreeIpv6(base: LocalAddress, taken: Set<string>, count: number): string[] {
  const first = ipv6ToBigInt(base.address)
  const size = 1n << BigInt(128 - base.prefix)
  const network = first - (first % size)
  const out: string[] = []
  for (let n = first + 1n; n < network + size && out.length < count; n++) {
    const ip = bigIntToIpv6(n)
    if (!taken.has(ip)) out.push(ip)
  }
  return out
}

/** A usable IPv6 source: not on lo, not link-local (fe80::/10 reaches its own link only, with a scope). */
export function isIpv6Source(a: LocalAddress): boolean {
  return a.family === 'IPv6' && !a.internal && !/^fe[89ab]/i.test(a.address)
}

/** The one prefix, routed to this host as local, that replaces N IPv4 aliases over IPv6. */
export const IPV6_PREFIX_FIX = 'ip -6 route add local PREFIX dev lo && sysctl -w net.ipv6.ip_nonlocal_bind=1'

function sourcesV6(ctx: CheckContext, ports: number, sources: number): Finding {
  const nonlocal = ctx.host.sysctl['net.ipv6.ip_nonlocal_bind']
  const need = `${formatCount(sources)} source address${sources > 1 ? 'es' : ''} (${formatCount(ports)} ports each)`
  if (ctx.target.role === 'loopback') {
    // IPv6 loopback is ::1 alone: there is no ::/8 as 127.0.0.0/8 is.
    return sources <= 1
      ? {status: 'pass', current: '::1 (lo holds one IPv6 address)', needed: need}
      : {
          status: 'fail', current: `::1 alone; net.ipv6.ip_nonlocal_bind ${nonlocal ?? 'not read'}`, needed: need, breaksAt: ports,
          reason: 'lo has one IPv6 address, not a /8 as IPv4; route a ULA /64 to lo as local and bind its addresses (c1m probe --family 6 does this in its namespace)',
          fix: `${IPV6_PREFIX_FIX.replace('PREFIX', 'fd00:c1::/64')}   # a ULA prefix routed nowhere else`,
        }
  }
  const a = ctx.host.addresses
  if (!a || a.problem) throw new Skip(a?.problem ?? 'interfaces were not read')
  if (ctx.host.sysctl['net.ipv6.conf.all.disable_ipv6'] === '1') {
    return {status: 'fail', current: 'IPv6 is disabled (net.ipv6.conf.all.disable_ipv6 = 1)', needed: need, fix: sysctlFix('net.ipv6.conf.all.disable_ipv6', 0)}
  }
  const usable = a.addresses.filter(isIpv6Source)
  const perIface = new Map<string, string[]>()
  for (const x of usable) perIface.set(x.iface, [...(perIface.get(x.iface) ?? []), `${x.address}/${x.prefix}`])
  const listed = [...perIface].map(([i, list]) => `${i}: ${list.join(' ')}`).join('; ') || 'no global or ULA IPv6 address'
  const current = `${listed}; net.ipv6.ip_nonlocal_bind ${nonlocal ?? 'not read'}`
  const base = {current, needed: need, breaksAt: usable.length * ports}
  if (usable.length >= sources) return {status: 'pass', ...base}
  const gap = sources - usable.length
  const on = usable.find((x) => x.prefix <= 64)
  const aliases = on ? nextFreeIpv6(on, new Set(a.addresses.map((x) => x.address)), gap) : []
  const instead = on
    ? `; or ${gap} aliases as over IPv4 (for ip in ${aliases.slice(0, 3).join(' ')}${gap > 3 ? ' ...' : ''}; do ip -6 addr add $ip/128 dev ${on.iface}; done), each a neighbour entry on every host of the link (neigh.gc_thresh)`
    : ''
  const via = on ? `ip -6 route add PREFIX via ${on.address}` : 'ip -6 route add PREFIX via THIS-HOST'
  return {
    status: 'fail',
    ...base,
    reason: `${gap} more source address${gap > 1 ? 'es' : ''} needed: over IPv6 one prefix routed to this host holds them all (a /64 is 2^64 addresses), bound without adding each; the server routes the prefix back (${via})${instead}`,
    fix: `${IPV6_PREFIX_FIX}   # PREFIX: a /64 routed to this host${on ? `, not ${on.iface}'s own on-link prefix` : ''}`,
  }
}

export const portChecks: Check[] = [
  {
    id: 'ports.range',
    area: 'ports',
    title: 'net.ipv4.ip_local_port_range',
    reads: ['/proc/sys/net/ipv4/ip_local_port_range', '/proc/sys/net/ipv4/ip_local_reserved_ports'],
    why: 'a client gets one connection per local port for each (source IP, destination IP, destination port); the range sets how many',
    evaluate(ctx) {
      const {lo, hi, ports, sources} = portFacts(ctx)
      const wide = ports >= PORTS_MAX || ctx.target.conns <= ports
      return {
        status: wide ? 'pass' : 'warn',
        current: `${lo}-${hi} (${formatCount(ports)} ports per tuple)`,
        needed: ctx.target.conns <= ports ? `>= ${formatCount(ctx.target.conns)} ports` : `1024-65535 (${formatCount(PORTS_MAX)} ports)`,
        breaksAt: ports,
        reason: wide ? undefined : `${formatCount(ctx.target.conns)} connections to one ip:port need ${formatCount(sources)} source addresses at this width, ${formatCount(sourceAddressesNeeded(ctx.target.conns, PORTS_MAX))} at the widest`,
        fix: wide ? undefined : sysctlFix('net.ipv4.ip_local_port_range', '1024 65535'),
      }
    },
  },
  {
    id: 'ports.sources',
    area: 'ports',
    title: 'source addresses for N connections to one ip:port',
    reads: ['/proc/sys/net/ipv4/ip_local_port_range', '/sys/class/net/*/operstate', 'interface addresses', '/proc/sys/net/ipv6/ip_nonlocal_bind'],
    why: 'past one range of ports per source address, connect() fails with EADDRNOTAVAIL; more source addresses (or destination ports) are the only way on. The range (a net.ipv4 key) serves IPv6 too; over IPv6 one prefix gives every address needed',
    evaluate(ctx) {
      const {ports, sources} = portFacts(ctx)
      if (ctx.target.family === 6) return sourcesV6(ctx, ports, sources)
      const a = ctx.host.addresses
      if (ctx.target.role === 'loopback') {
        return {
          status: 'pass',
          current: 'all of 127.0.0.0/8 is usable on lo without an alias',
          needed: `${formatCount(sources)} source address${sources > 1 ? 'es' : ''} (127.0.0.1-127.0.0.${Math.min(sources, 254)})`,
          reason: sources > 1 ? 'the client must bind each connection to its source address and port itself; c1m client does' : undefined,
        }
      }
      if (!a || a.problem) throw new Skip(a?.problem ?? 'interfaces were not read')
      const usable = a.addresses.filter((x) => x.family === 'IPv4' && !x.internal)
      const perIface = new Map<string, string[]>()
      for (const x of usable) perIface.set(x.iface, [...(perIface.get(x.iface) ?? []), x.address])
      const current = [...perIface].map(([i, list]) => `${i}: ${list.join(' ')}`).join('; ') || 'no non-loopback IPv4 address'
      const base = {current, needed: `${formatCount(sources)} source address${sources > 1 ? 'es' : ''} (${formatCount(ports)} ports each)`, breaksAt: usable.length * ports}
      if (usable.length >= sources) return {status: 'pass', ...base}
      const gap = sources - usable.length
      if (usable.length === 0) return {status: 'fail', ...base, fix: `ip addr add ADDRESS/PREFIX dev IFACE   # ${gap} free addresses on the server-facing network`}
      const add = nextFreeAddresses(usable[0], new Set(a.addresses.map((x) => x.address)), gap)
      return {
        status: 'fail',
        ...base,
        reason: `${gap} more source address${gap > 1 ? 'es' : ''} needed, or spread the connections over ${sources} destination ports; check these addresses are free on your network first`,
        fix: `for ip in ${add.join(' ')}; do ip addr add $ip/${usable[0].prefix} dev ${usable[0].iface}; done`,
      }
    },
  },
]
