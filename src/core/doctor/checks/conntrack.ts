import {type Check, type CheckContext, optionalSysctlNumber, Skip, sysctlFix, sysctlNumber} from '../check.js'
import {parseSysctlInt} from '../../sysctl-value.js'
import {conntrackEntryBytes} from '../../estimate/socket-cost.js'
import {formatBytes, formatCount} from '../../units.js'

/** Is conntrack loaded, and is it tracking anything right now? */
export function conntrackState(ctx: CheckContext): {loaded: boolean; tracking: boolean} {
  const loaded = ctx.host.sysctl['net.netfilter.nf_conntrack_max'] !== undefined
  const count = parseSysctlInt(ctx.host.sysctl['net.netfilter.nf_conntrack_count']) ?? 0
  return {loaded, tracking: loaded && count > 0}
}

/** ": 12 IPv4, 3 IPv6" when /proc/net/nf_conntrack was split by family. */
function byFamily(ctx: CheckContext): string {
  const split = ctx.host.conntrackFamilies
  return split?.ipv4 === undefined ? '' : `: ${formatCount(split.ipv4)} IPv4, ${formatCount(split.ipv6)} IPv6`
}

function requireLoaded(ctx: CheckContext) {
  const state = conntrackState(ctx)
  if (!state.loaded) throw new Skip('nf_conntrack is not loaded: no table to fill')
  return state
}

export const conntrackChecks: Check[] = [
  {
    id: 'conntrack.max',
    area: 'conntrack',
    title: 'net.netfilter.nf_conntrack_max',
    reads: ['/proc/sys/net/netfilter/nf_conntrack_max', '/proc/sys/net/netfilter/nf_conntrack_count', '/proc/net/nf_conntrack', '/proc/slabinfo'],
    why: 'one table for IPv4 and IPv6 alike (nf_conntrack_count counts both; the limit is shared): when a ruleset uses conntrack every connection takes an entry; at the limit new SYNs are dropped and the log says "nf_conntrack: table full"',
    evaluate(ctx) {
      const {tracking} = requireLoaded(ctx)
      const max = sysctlNumber(ctx, 'net.netfilter.nf_conntrack_max')
      const count = optionalSysctlNumber(ctx, 'net.netfilter.nf_conntrack_count') ?? 0
      const need = ctx.needs.conntrackMax
      const table = formatBytes(need * conntrackEntryBytes(ctx.host.memory.slab) + ctx.needs.conntrackBuckets * 8)
      const ok = max >= need
      return {
        status: ok ? 'pass' : tracking ? 'fail' : 'warn',
        current: `${formatCount(max)} (${formatCount(count)} tracked now${byFamily(ctx)})`,
        needed: `>= ${formatCount(need)} (table about ${table} at N)`,
        breaksAt: tracking ? max - count : undefined,
        reason: tracking ? undefined : 'loaded but tracking nothing now; it fills the moment a ruleset (NAT, stateful firewall, docker) uses it',
        fix: ok ? undefined : sysctlFix('net.netfilter.nf_conntrack_max', need),
      }
    },
  },
  {
    id: 'conntrack.buckets',
    area: 'conntrack',
    title: 'net.netfilter.nf_conntrack_buckets (hash size)',
    reads: ['/proc/sys/net/netfilter/nf_conntrack_buckets'],
    why: 'each lookup walks a chain of entries / buckets; long chains cost CPU on every packet',
    evaluate(ctx) {
      requireLoaded(ctx)
      const buckets = sysctlNumber(ctx, 'net.netfilter.nf_conntrack_buckets')
      const need = ctx.needs.conntrackBuckets
      const ok = buckets >= need
      return {
        status: ok ? 'pass' : 'warn',
        current: formatCount(buckets),
        needed: `>= ${formatCount(need)} (chains of 4 or fewer at N)`,
        fix: ok ? undefined : `${sysctlFix('net.netfilter.nf_conntrack_buckets', need)}   # or: echo ${need} > /sys/module/nf_conntrack/parameters/hashsize`,
      }
    },
  },
]
