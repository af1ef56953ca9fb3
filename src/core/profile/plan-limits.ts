import type {ResolvedValue} from './types.js'
import {type Comparison, CHANGES, type PlanFacts, type PlanOptions, type PlanRow, raiseKeepLower} from './plan-rows.js'

// The nofile values (limits.d) and systemd's LimitNOFILE / DefaultLimitNOFILE of a plan.

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

export function planNofile(v: ResolvedValue, facts: PlanFacts, options: PlanOptions, nrOpen: number | undefined): PlanRow {
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

export function planSystemd(v: ResolvedValue, facts: PlanFacts, options: PlanOptions): PlanRow {
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
