import {formatCount} from '../units.js'
import type {Needs, Target} from '../needs.js'
import {describeMalformed, parseSysctlInts} from '../sysctl-value.js'
import type {HostSnapshot} from '../host-snapshot.js'

export type Status = 'pass' | 'warn' | 'fail' | 'skip'
export const STATUS_ORDER: Status[] = ['pass', 'skip', 'warn', 'fail']

export const AREAS = {
  files: 'File descriptors',
  accept: 'Accept queue',
  ports: 'Ephemeral ports and source IPs',
  conntrack: 'Conntrack',
  tcpmem: 'TCP memory',
  timewait: 'TIME_WAIT and backlog',
  ram: 'RAM',
  hygiene: 'Configuration hygiene',
  symptoms: 'Kernel log symptoms',
  profile: 'Profile values',
} as const
export type Area = keyof typeof AREAS

/** What a check found. */
export interface Finding {
  status: Status
  current?: string
  needed?: string
  /** A command a person can paste. */
  fix?: string
  /** Why the check was skipped, or a detail that qualifies the status. */
  reason?: string
  /** The connection count at which this limit is reached on this host, where it has one. */
  breaksAt?: number
}

export interface CheckContext {
  host: HostSnapshot
  target: Target
  needs: Needs
}

/** A check is data: a stable ID, what it reads, why it matters, and a pure evaluation. */
export interface Check {
  id: string
  area: Area
  title: string
  reads: string[]
  why: string
  evaluate(ctx: CheckContext): Finding
}

export interface CheckResult extends Finding {
  id: string
  area: Area
  title: string
  reads: string[]
  why: string
}

/** Thrown inside an evaluation when an input is missing; the engine turns it into a skip. */
export class Skip extends Error {}

/**
 * A sysctl value as exactly `count` integers, or Skip with the reason: not read, or malformed
 * (empty, not a number, the wrong number of fields). Checks never see NaN or undefined.
 */
export function sysctlNumbers(ctx: CheckContext, key: string, count = 1): number[] {
  const value = ctx.host.sysctl[key]
  if (value === undefined) throw new Skip(ctx.host.sysctlMissing[key] ?? `${key} was not read`)
  const values = parseSysctlInts(value, count)
  if (!values) throw new Skip(describeMalformed(key, value, count))
  return values
}

export function sysctlNumber(ctx: CheckContext, key: string): number {
  return sysctlNumbers(ctx, key, 1)[0]
}

/** An optional sysctl (a count beside the value checked): undefined when absent, Skip when malformed. */
export function optionalSysctlNumber(ctx: CheckContext, key: string): number | undefined {
  return ctx.host.sysctl[key] === undefined ? undefined : sysctlNumber(ctx, key)
}

/**
 * Where doctor's fixes keep what they set: a file of the admin's own, never one apply writes.
 * 90-c1m.conf belongs to apply (revert deletes or restores it whole), so a line added there by
 * hand would go with the next revert. 91 sorts after 90: what the admin fixed by hand wins.
 */
export const FIX_SYSCTL_FILE = '/etc/sysctl.d/91-c1m-local.conf'
export const FIX_LIMITS_FILE = '/etc/security/limits.d/91-c1m-local.conf'
export const FIX_DROP_IN = '91-c1m-local.conf'

/** The paste-able fix for one sysctl: live now, and kept across reboots. */
export function sysctlFix(key: string, value: number | string): string {
  const v = String(value)
  const quoted = v.includes(' ') ? `"${v}"` : v
  return `sysctl -w ${key}=${quoted} && echo '${key} = ${v}' >> ${FIX_SYSCTL_FILE}`
}


/**
 * The common check: a sysctl that must be at least `need`. Below it the finding is
 * `level`, or `fail` when below `failBelow` too; the fix sets it to `need`.
 */
export function atLeast(ctx: CheckContext, key: string, need: number, level: 'warn' | 'fail' = 'warn', failBelow = 0): Finding {
  const value = sysctlNumber(ctx, key)
  const status = value >= need ? 'pass' : value < failBelow ? 'fail' : level
  return {status, current: formatCount(value), needed: `>= ${formatCount(need)}`, fix: status === 'pass' ? undefined : sysctlFix(key, need)}
}
