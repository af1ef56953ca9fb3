import {type Check, type CheckContext, type CheckResult, Skip, type Status} from './check.js'
import {ALL_CHECKS} from './checks/index.js'
import {parseDisplayValue} from './display-value.js'
import {computeNeeds, type Needs, type Target} from '../needs.js'
import type {HostSnapshot, ServerProcess} from '../host-snapshot.js'

export const DOCTOR_SCHEMA = 'c1m.doctor/1'

export interface FirstBreak {
  id: string
  title: string
  status: Status
  breaksAt?: number
  fix?: string
}

export interface DoctorReport {
  schema: typeof DOCTOR_SCHEMA
  generatedAt: string
  /**
   * pid: the process audited (--pid, or 'self'). With --pid, processes: the process and its descendants
   * that hold TCP sockets, and auditedPid: the one whose nofile limits the checks read (the lowest
   * soft limit).
   */
  host: {root: string; live: boolean; hostname?: string; kernel?: string; pid: number | 'self'; auditedPid?: number; processes?: ServerProcess[]}
  target: Target
  needs: Needs
  summary: Record<Status, number>
  /** The finding that stops the host first on the way to N, or null when nothing does. */
  firstBreak: FirstBreak | null
  results: DoctorResult[]
}

/** A check's result with the numbers behind its display strings (null where there is no single number). */
export interface DoctorResult extends CheckResult {
  currentValue: number | null
  neededValue: number | null
  /** How long the evaluation took, in milliseconds (reading the host comes before it). */
  elapsedMs: number
}

export interface DoctorOptions {
  /** Check IDs to waive; they are reported as skip. */
  skip?: string[]
  /** Checks beyond the built-in ones (a profile's values). */
  extraChecks?: Check[]
  now?: Date
}

function evaluateOne(check: Check, ctx: CheckContext, waived: boolean): CheckResult {
  const {evaluate, ...meta} = check
  if (waived) return {...meta, status: 'skip', reason: 'waived with --skip'}
  try {
    return {...meta, ...evaluate(ctx)}
  } catch (error) {
    if (error instanceof Skip) return {...meta, status: 'skip', reason: error.message}
    throw error
  }
}

function evaluateTimed(check: Check, ctx: CheckContext, waived: boolean): DoctorResult {
  const start = performance.now()
  const result = evaluateOne(check, ctx, waived)
  const elapsedMs = Math.round((performance.now() - start) * 1000) / 1000
  return {...result, currentValue: parseDisplayValue(result.current), neededValue: parseDisplayValue(result.needed), elapsedMs}
}

/**
 * What breaks first: among failures (else warnings), the one whose limit is reached at
 * the fewest connections; findings without such a count come after those with one.
 */
export function findFirstBreak(results: CheckResult[]): FirstBreak | null {
  for (const status of ['fail', 'warn'] as const) {
    const found = results.filter((r) => r.status === status)
    if (found.length === 0) continue
    const ranked = [...found].sort((a, b) => (a.breaksAt ?? Number.POSITIVE_INFINITY) - (b.breaksAt ?? Number.POSITIVE_INFINITY))
    const r = ranked[0]
    return {id: r.id, title: r.title, status: r.status, breaksAt: r.breaksAt, fix: r.fix}
  }
  return null
}

/** Evaluate every check against a host snapshot for a target. Pure: no host access. */
export function runDoctor(host: HostSnapshot, target: Target, options: DoctorOptions = {}): DoctorReport {
  const needs = computeNeeds(target)
  const ctx: CheckContext = {host, target, needs}
  const skip = new Set(options.skip ?? [])
  const checks = [...ALL_CHECKS, ...(options.extraChecks ?? [])]
  const results = checks.map((check) => evaluateTimed(check, ctx, skip.has(check.id)))
  const summary: Record<Status, number> = {pass: 0, warn: 0, fail: 0, skip: 0}
  for (const r of results) summary[r.status]++
  return {
    schema: DOCTOR_SCHEMA,
    generatedAt: (options.now ?? new Date()).toISOString(),
    host: {
      root: host.root,
      live: host.live,
      hostname: host.sysctl['kernel.hostname'],
      kernel: host.sysctl['kernel.osrelease'],
      pid: host.server?.pid ?? host.process.pid,
      ...(host.server ? {auditedPid: host.server.audited, processes: host.server.processes} : {}),
    },
    target,
    needs,
    summary,
    firstBreak: findFirstBreak(results),
    results,
  }
}

/** Exit status for --fail-on: 1 when any result is at or above the level. */
export function failOnExit(report: DoctorReport, level: 'warn' | 'fail' | 'none'): 0 | 1 {
  if (level === 'none') return 0
  const levels: Status[] = level === 'warn' ? ['warn', 'fail'] : ['fail']
  return report.results.some((r) => levels.includes(r.status)) ? 1 : 0
}
