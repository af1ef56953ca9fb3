import {formatBytes} from '../units.js'
import {pickAddresses} from '../cidr.js'
import type {Role} from '../needs.js'
import {compareSysctl, kernelAtLeast, LEGACY_NAMES, REMOVED_KEYS, tcpMemLooksLikeBytes} from './kernel-keys.js'
import type {ResolvedValue, ValueSource, ValueKind} from './types.js'

export type Action = 'raise' | 'keep' | 'set' | 'lower' | 'skip'
/** Actions that change something. */
export const CHANGES: Action[] = ['raise', 'set', 'lower']

/** Scope of a key inside a network namespace, as found in that namespace. */
export type NetnsScope = 'namespace' | 'read-only' | 'absent'

export interface PlanFacts {
  /** kernel.osrelease */
  kernel?: string
  /** MemTotal in bytes. */
  memTotal?: number
  /** Current sysctl values by name as the kernel prints them; a key that is absent is not on this kernel. */
  sysctl: Record<string, string | undefined>
  /**
   * nofile from limits.conf and limits.d for `*` (what pam_limits gives a login), and the file:line
   * that set it.
   */
  nofile: {soft?: string; hard?: string; where?: string; user?: string}
  /**
   * `unit`: --unit, with the LimitNOFILE its unit files set (and which file); `useDefault`:
   * --systemd-default. With neither, apply writes no systemd file.
   */
  systemd: {running: boolean; defaultLimitNOFILE?: string; file?: string; unit?: {name: string; limitNOFILE?: string; file?: string}; useDefault?: boolean}
  /** With --netns: where each net.* key lives inside the namespace. */
  netns?: {name: string; scope: Record<string, NetnsScope>}
  /** For the client addresses: the interface and block asked for, and the IPv4 addresses already on it. */
  addresses?: {iface?: string; cidr?: string; present: string[]; canAdd: boolean; why?: string}
}

export interface PlanOptions {
  role: Role
  allowLower: boolean
}

export interface PlanRow {
  id: string
  kind: ValueKind
  /** The key c1m acts on (the modern name). */
  key: string
  /** The name the document used, when the kernel now calls it something else. */
  renamedFrom?: string
  current?: string
  /** The value of the profile (published or computed). */
  wanted: string
  /** What c1m writes, for raise, set and lower. */
  value?: string
  action: Action
  why: string
  /** Why, as a code a program can match: `netns`, a value --netns leaves alone (not per namespace). */
  code?: 'netns'
  formula?: string
  source: ValueSource
  /** Addresses to add, for the addresses row. */
  add?: string[]
  /** For nofile rows with --user: the user limits.d names instead of `*`. */
  user?: string
  /** For the systemd row with --unit: the service (without `.service`) whose drop-in apply writes. */
  unit?: string
}

const DEFAULT_NOFILE_SOFT = 1024
/** systemd's compiled-in DefaultLimitNOFILE hard limit (since v240), when nothing sets it. */
const DEFAULT_NOFILE_HARD = 524288
/** The kernel's hard RLIMIT_NOFILE for init when no systemd raises it. */
const KERNEL_NOFILE_HARD = 4096

/** DefaultLimitNOFILE as soft and hard text: `S:H`, or one value for both; systemd's default when unset. */
function systemdLimits(set: string | undefined): [string, string] {
  if (set === undefined) return [String(DEFAULT_NOFILE_SOFT), String(DEFAULT_NOFILE_HARD)]
  const [soft, hard] = set.split(':')
  return [soft, hard ?? soft]
}

/** The hard nofile a login gets when limits.conf sets none: what PID 1 hands down. */
function inheritedHard(facts: PlanFacts): {hard: number; from: string} {
  if (!facts.systemd.running) return {hard: KERNEL_NOFILE_HARD, from: 'the kernel default (no systemd)'}
  const hard = limitNumber(systemdLimits(facts.systemd.defaultLimitNOFILE)[1])!
  return {hard, from: facts.systemd.defaultLimitNOFILE ? `DefaultLimitNOFILE in ${facts.systemd.file}` : "systemd's default DefaultLimitNOFILE"}
}

function limitNumber(v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  return v === 'unlimited' || v === 'infinity' ? Number.POSITIVE_INFINITY : Number(v)
}

/** How the wanted value compares with the current one: the same, above it (a raise), or below it. */
type Comparison = 'equal' | 'higher' | 'lower'

/** What each outcome of the rule says, per kind of value. */
interface RuleWords {
  equal: string
  raise: string
  lower: string
  keep: string
}

/**
 * The one rule of apply: raise a value that is lower than wanted, keep one that is equal or
 * higher, and lower a higher one only with --allow-lower. The caller supplies the words and,
 * for raise and lower, the value written.
 */
function raiseKeepLower(cmp: Comparison, allowLower: boolean, words: RuleWords): {action: Action; why: string} {
  if (cmp === 'equal') return {action: 'keep', why: words.equal}
  if (cmp === 'higher') return {action: 'raise', why: words.raise}
  return allowLower ? {action: 'lower', why: words.lower} : {action: 'keep', why: words.keep}
}

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
function planNofile(v: ResolvedValue, facts: PlanFacts, options: PlanOptions, nrOpen: number | undefined): PlanRow {
  const row = planNofileValue(v, facts, options, nrOpen)
  if (!CHANGES.includes(row.action)) return row
  const user = facts.nofile.user
  return user ? {...row, user, why: `${row.why}; for user ${user}`} : {...row, why: `${row.why}; for * (every login session's processes, not systemd services; --user NAME names your service's user)`}
}

function planNofileValue(v: ResolvedValue, facts: PlanFacts, options: PlanOptions, nrOpen: number | undefined): PlanRow {
  const current = v.key === 'soft' ? facts.nofile.soft : facts.nofile.hard
  const base = {id: v.id, kind: v.kind, key: v.key, wanted: v.value, formula: v.formula, source: v.source}
  if (facts.netns) return {...base, current, action: 'skip', why: `limits.conf is not per network namespace: left alone by --netns ${facts.netns.name}`, code: 'netns'}
  if (nrOpen !== undefined && Number(v.value) > nrOpen) {
    return {...base, current, action: 'skip', why: `above fs.nr_open (${nrOpen}): pam_limits would fail every login that applies it`}
  }
  const want = Number(v.value)
  if (current === undefined && v.key === 'hard' && !options.allowLower) {
    // Writing a hard limit below what logins already get would lower it: raise only.
    const inherited = inheritedHard(facts)
    if (inherited.hard >= want) return {...base, action: 'keep', why: `not set in limits.conf or limits.d; logins already get ${inherited.hard} from ${inherited.from}; apply only raises`}
  }
  if (current === undefined) return {...base, action: 'set', value: v.value, why: 'not set in limits.conf or limits.d'}
  const cur = limitNumber(current)!
  const where = facts.nofile.where ? ` (${facts.nofile.where})` : ''
  const decided = raiseKeepLower(cur === want ? 'equal' : cur < want ? 'higher' : 'lower', options.allowLower, {
    equal: `already set${where}`,
    raise: `the current limit is lower${where}`,
    lower: `the current limit is higher${where}; --allow-lower lowers it`,
    keep: `already higher${where}; apply only raises`,
  })
  return decided.action === 'keep' ? {...base, current, ...decided} : {...base, current, action: decided.action, value: v.value, why: decided.why}
}

function planSystemd(v: ResolvedValue, facts: PlanFacts, options: PlanOptions): PlanRow {
  const base = {id: v.id, kind: v.kind, key: v.key, wanted: v.value, formula: v.formula, source: v.source}
  if (facts.netns) return {...base, action: 'skip', why: `systemd is not per network namespace: left alone by --netns ${facts.netns.name}`, code: 'netns'}
  if (!facts.systemd.running) return {...base, action: 'skip', why: 'systemd is not running here (no /run/systemd/system)'}
  const unit = facts.systemd.unit
  if (unit) return {...planLimit({...base, key: 'LimitNOFILE', unit: unit.name}, v, unit.limitNOFILE ?? facts.systemd.defaultLimitNOFILE, unit.file ?? facts.systemd.file, options), ...(unit.limitNOFILE ? {} : {current: `${facts.systemd.defaultLimitNOFILE ?? `${DEFAULT_NOFILE_SOFT}:${DEFAULT_NOFILE_HARD}`} (inherited)`})}
  if (!facts.systemd.useDefault) {
    return {...base, action: 'skip', why: "DefaultLimitNOFILE would raise every service's soft limit: pass --unit NAME for your server's service, or --systemd-default"}
  }
  return planLimit(base, v, facts.systemd.defaultLimitNOFILE, facts.systemd.file, options)
}

/** Raise-only plan of a systemd `SOFT:HARD` nofile setting (unset: systemd's default). */
function planLimit(base: Omit<PlanRow, 'action' | 'why'>, v: ResolvedValue, set: string | undefined, file: string | undefined, options: PlanOptions): PlanRow {
  const current = set ?? `${DEFAULT_NOFILE_SOFT}:${DEFAULT_NOFILE_HARD} (default)`
  // Services get the soft limit; the hard one is their ceiling. Raise-only holds for both:
  // apply writes SOFT:HARD and keeps a hard limit that is already higher.
  const [softText, hardText] = systemdLimits(set)
  const soft = limitNumber(softText)!
  const hard = limitNumber(hardText)!
  const want = Number(v.value)
  const where = file ? ` (${file})` : ''
  const value = (h: number | string) => `${want}:${h}`
  const cmp: Comparison = soft === want && hard >= want ? 'equal' : soft < want || hard < want ? 'higher' : 'lower'
  const decided = raiseKeepLower(cmp, options.allowLower, {
    equal: `already set${where}`,
    raise: `services get a lower soft limit${where}${hard > want ? `; the hard limit ${hardText} is higher and kept` : ''}`,
    lower: `already higher${where}; --allow-lower lowers it`,
    keep: `already higher${where}; apply only raises`,
  })
  if (decided.action === 'raise') return {...base, current, action: 'raise', value: value(hard > want ? hardText : String(want)), why: decided.why}
  return decided.action === 'keep' ? {...base, current, ...decided} : {...base, current, action: decided.action, value: value(want), why: decided.why}
}

function planAddresses(v: ResolvedValue, facts: PlanFacts, options: PlanOptions): PlanRow {
  const base = {id: v.id, kind: v.kind, key: v.key, wanted: v.value, formula: v.formula, source: v.source}
  if (options.role === 'server') return {...base, action: 'skip', why: 'source addresses are for the client role'}
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
