import {formatBytes} from '../units.js'
import {pickAddresses} from '../cidr.js'
import {compareSysctl, kernelAtLeast, LEGACY_NAMES, REMOVED_KEYS, tcpMemLooksLikeBytes} from './kernel-keys.js'
import {planNofile, planSystemd} from './plan-limits.js'
import {type PlanFacts, type PlanOptions, type PlanRow, raiseKeepLower, type RuleWords} from './plan-rows.js'
import type {ResolvedValue} from './types.js'

const SYSCTL_WORDS: RuleWords = {
  equal: 'already set to this value',
  raise: 'the current value is lower',
  lower: 'the current value is higher; --allow-lower lowers it',
  keep: 'already higher; apply only raises (pass --allow-lower to lower it)',
}

function raiseOrKeep(key: string, current: string, wanted: string, allowLower: boolean): Pick<PlanRow, 'action' | 'value' | 'why'> {
  const cmp = compareSysctl(key, current, wanted)
  switch (cmp.kind) {
    case 'different':
      return {action: 'set', value: wanted, why: 'a setting, not a capacity: written as the profile says'}
    case 'mixed':
      if (allowLower) return {action: 'lower', value: wanted, why: `lowers field ${cmp.fields.kept.join(', ')} (--allow-lower)`}
      return {
        action: 'raise',
        value: cmp.raised,
        why: `raises field ${cmp.fields.raised.join(', ')}; field ${cmp.fields.kept.join(', ')} is already higher and kept`,
      }
    default: {
      const decided = raiseKeepLower(cmp.kind, allowLower, SYSCTL_WORDS)
      return decided.action === 'keep' ? decided : {action: decided.action, value: wanted, why: decided.why}
    }
  }
}

function planSysctl(v: ResolvedValue, facts: PlanFacts, options: PlanOptions): PlanRow {
  const legacy = LEGACY_NAMES[v.key]
  const key = legacy?.name ?? v.key
  const base = {id: v.id, kind: v.kind, key, renamedFrom: legacy ? v.key : undefined, wanted: v.value, formula: v.formula, source: v.source}
  const renamed = legacy ? `written as ${v.key}, renamed ${key} in ${legacy.since}; ` : ''
  const skip = (why: string, current?: string, code?: PlanRow['code']): PlanRow => ({...base, current, action: 'skip', why: renamed + why, ...(code ? {code} : {})})

  const removed = REMOVED_KEYS[key]
  if (removed && facts.kernel && kernelAtLeast(facts.kernel, removed.version)) {
    return skip(`removed in Linux ${removed.version} (this kernel is ${facts.kernel}): ${removed.why}`)
  }
  if (facts.netns) {
    if (!key.startsWith('net.')) return skip(`global (not per network namespace): left alone by --netns ${facts.netns.name}`, undefined, 'netns')
    const scope = facts.netns.scope[key]
    if (scope === 'read-only') return skip(`read-only inside a network namespace (set on the host): left alone by --netns ${facts.netns.name}`, undefined, 'netns')
    if (scope !== 'namespace') return skip(`global (not in the namespace's /proc/sys): left alone by --netns ${facts.netns.name}`, undefined, 'netns')
  }
  const current = facts.sysctl[key]
  if (current === undefined) return skip(removed ? `removed in Linux ${removed.version}: ${removed.why}` : 'not on this kernel (no such file under /proc/sys; is its module loaded?)')
  if (key === 'net.ipv4.tcp_mem' && facts.memTotal) {
    const bytes = tcpMemLooksLikeBytes(v.value, facts.memTotal)
    if (bytes) {
      return skip(
        `looks like bytes: tcp_mem is in 4 KiB pages, and field ${bytes.field} as pages is ${formatBytes(bytes.bytes)}, more than this host's ${formatBytes(facts.memTotal)} of RAM`,
        current,
      )
    }
  }
  const decided = raiseOrKeep(key, current, v.value, options.allowLower)
  return {...base, current, ...decided, why: renamed + decided.why}
}

/** A nofile row, with who the limits.d line is for: the --user, or what `*` means. */

function planAddresses(v: ResolvedValue, facts: PlanFacts, options: PlanOptions): PlanRow {
  const base = {id: v.id, kind: v.kind, key: v.key, wanted: v.value, formula: v.formula, source: v.source}
  if (options.role === 'server') return {...base, action: 'skip', why: 'source addresses are for the client role'}
  if (options.family === 6) return {...base, action: 'skip', why: 'over IPv6 one prefix routed to this host gives every source address: ip -6 route add local PREFIX dev lo (see doctor ports.sources); apply adds IPv4 aliases only'}
  if (options.role === 'loopback') return {...base, action: 'skip', why: 'the loopback role uses 127.0.0.0/8, every address of which works on lo without adding it'}
  const a = facts.addresses
  if (!a?.iface || !a.cidr) return {...base, action: 'skip', why: 'pass --iface IF and --addresses CIDR to add them'}
  const count = Number(v.value)
  const {add, have} = pickAddresses(a.cidr, count, a.present)
  const current = `${have.length} in ${a.cidr} on ${a.iface}`
  if (add.length === 0) return {...base, current, action: 'keep', why: `the interface already has ${count}`}
  if (!a.canAdd) return {...base, current, action: 'skip', why: a.why ?? 'addresses cannot be added here'}
  const span = add.length === 1 ? add[0] : `${add[0]}-${add.at(-1)}`
  return {...base, current, action: 'set', value: `${span} (${add.length})`, add, why: `add ${add.length} to ${a.iface} from ${a.cidr}`}
}

/**
 * The apply plan: for every value of the resolved profile, the current value, the wanted one,
 * and what apply will do about it (raise, keep, set, lower with --allow-lower, or skip) and why.
 * Pure: facts are read by the caller, from the host, a sandbox root or a namespace.
 */
export function planApply(values: ResolvedValue[], facts: PlanFacts, options: PlanOptions): PlanRow[] {
  const rows = values.filter((v) => v.kind === 'sysctl').map((v) => planSysctl(v, facts, options))
  const nrOpenRow = rows.find((r) => r.key === 'fs.nr_open')
  const nrOpenNow = facts.sysctl['fs.nr_open']
  const nrOpen = nrOpenRow?.value ?? nrOpenNow
  for (const v of values) {
    if (v.kind === 'nofile') rows.push(planNofile(v, facts, options, nrOpen === undefined ? undefined : Number(nrOpen)))
    if (v.kind === 'systemd') rows.push(planSystemd(v, facts, options))
    if (v.kind === 'addresses') rows.push(planAddresses(v, facts, options))
  }
  return rows
}
