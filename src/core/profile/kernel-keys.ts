// What c1m knows about sysctl names across kernel versions, and how to compare values.

/** Old names that a newer kernel knows by another name. */
export const LEGACY_NAMES: Record<string, {name: string; since: string}> = {
  'net.ipv4.netfilter.ip_conntrack_max': {name: 'net.netfilter.nf_conntrack_max', since: '2.6.20 (ip_conntrack became nf_conntrack)'},
  'net.ipv4.netfilter.ip_conntrack_buckets': {name: 'net.netfilter.nf_conntrack_buckets', since: '2.6.20 (ip_conntrack became nf_conntrack)'},
  'net.ipv4.netfilter.ip_conntrack_tcp_timeout_established': {
    name: 'net.netfilter.nf_conntrack_tcp_timeout_established',
    since: '2.6.20 (ip_conntrack became nf_conntrack)',
  },
}

/** Keys removed from the kernel, with the release that removed them and why it matters. */
export const REMOVED_KEYS: Record<string, {version: string; why: string}> = {
  'net.ipv4.tcp_tw_recycle': {
    version: '4.12',
    why: 'it broke clients behind NAT (timestamps from many hosts behind one address) and was removed; tcp_tw_reuse is what remains',
  },
}

/** Keys whose values are choices, not capacities: "only raise" does not apply, c1m sets them as written. */
export const SET_KEYS = new Set(['net.ipv4.tcp_syncookies', 'net.ipv4.tcp_tw_reuse', 'net.ipv4.tcp_tw_recycle', 'vm.swappiness'])

/** Keys that hold a low-high range: "raise" means widen. */
export const RANGE_KEYS = new Set(['net.ipv4.ip_local_port_range'])

/** `6.18.44-fc` -> [6, 18, 44] */
export function kernelVersion(release: string): number[] {
  return (/^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release) ?? []).slice(1).map((n) => Number(n ?? 0))
}

/** Is release at least `version` (such as 4.12)? */
export function kernelAtLeast(release: string, version: string): boolean {
  const a = kernelVersion(release)
  const b = kernelVersion(version)
  if (a.length === 0) return false
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0)
  }
  return true
}

export type Comparison =
  | {kind: 'equal'}
  | {kind: 'higher'} // wanted gives more than current in every field
  | {kind: 'lower'} // wanted gives less in every field that differs
  | {kind: 'mixed'; raised: string; fields: {raised: number[]; kept: number[]}}
  | {kind: 'different'}

const nums = (v: string) => v.trim().split(/\s+/).map(Number)
/** A value's fields as exact integers (BigInt: 2^64-1 and beyond compare right), undefined for a word. */
const ints = (v: string) => v.trim().split(/\s+/).map((f) => (/^-?\d+$/.test(f) ? BigInt(f) : undefined))

/**
 * Compare a wanted sysctl value with the current one. Capacities compare field by field
 * (a bigger number is more); ranges compare by width (a lower low and a higher high is more);
 * choices (SET_KEYS) are only equal or different. For a mixed result, `raised` is the value
 * that raises what is lower and keeps what is already higher, each field a plain integer.
 */
export function compareSysctl(key: string, current: string, wanted: string): Comparison {
  const cur = ints(current)
  const want = ints(wanted)
  const words = [...cur, ...want].some((n) => n === undefined)
  if (words ? current.trim().split(/\s+/).join(' ') === wanted.trim().split(/\s+/).join(' ') : cur.join(' ') === want.join(' ')) return {kind: 'equal'}
  if (SET_KEYS.has(key) || cur.length !== want.length || words) return {kind: 'different'}
  // For a range the low end is "more" when it is lower.
  const more = (i: number) => (RANGE_KEYS.has(key) && i === 0 ? cur[i]! - want[i]! : want[i]! - cur[i]!)
  const raised: number[] = []
  const kept: number[] = []
  for (let i = 0; i < want.length; i++) {
    const d = more(i)
    if (d > 0n) raised.push(i + 1)
    else if (d < 0n) kept.push(i + 1)
  }
  if (kept.length === 0) return {kind: 'higher'}
  if (raised.length === 0) return {kind: 'lower'}
  const merged = want.map((w, i) => (more(i) > 0n ? w : cur[i]))
  return {kind: 'mixed', raised: merged.join(' '), fields: {raised, kept}}
}

/**
 * A tcp_mem typed in bytes: tcp_mem is in pages, so a value whose pages x page size
 * exceeds the RAM of the host cannot be meant as pages.
 */
export function tcpMemLooksLikeBytes(value: string, memTotal: number, pageSize = 4096): {bytes: number; field: number} | undefined {
  const fields = nums(value)
  const i = fields.findIndex((pages) => pages * pageSize > memTotal)
  return i < 0 ? undefined : {bytes: fields[i] * pageSize, field: i + 1}
}
