import {type Calibration, calibrateFromReport} from '../../core/estimate/calibration.js'
import type {CacheFloors} from '../../core/estimate/complete-short-run.js'
import {fitProblems} from '../../core/probe/fit-quality.js'
import {reportKind} from '../../core/estimate/report-kind.js'
import type {ProbeReport} from '../../core/probe/fit-report.js'
import {C1mError} from '../../core/errors.js'
import {formatAge} from '../../core/units.js'
import {findNewestProbeReport, type SkippedReport} from './find-probe-report.js'
import {probeReportDir, readProbeReport} from './probe-reports.js'

export interface CalibrationChoice {
  calibration?: Calibration
  /** Which report, how it was chosen, what it measured (protocol, connections) and how old it is. */
  used?: {file: string; chosen: '--calibration' | 'newest saved report'; protocol: string; conns: number; target: boolean; ageSeconds: number; age: string}
  skipped: SkippedReport[]
  /** Warnings to show: the report used and its age, each report skipped and why, a kernel mismatch. */
  notes: string[]
}

export interface CalibrationRequest {
  /** --calibration FILE, when given. */
  file?: string
  /** Look for a saved report (the live host, not a --root tree). */
  lookup: boolean
  engine?: ProbeReport['engine']
  /** The protocol the estimate is about (tcp). */
  protocol?: string
  /** This host's kernel release. */
  kernel?: string
  /** The IP family of the estimate (4 when absent); a saved report of the other family is skipped. */
  family?: 4 | 6
  connsPerHost: number
  /** One object per socket of each cache, from this host's kernel model (model-socket-kernel.ts floorsOf). */
  floors?: CacheFloors
  now?: number
}

/** At most this many "skipped" lines are shown; the JSON lists every one. */
const MAX_SKIP_NOTES = 8

/** "tcp, 20000 connections, 3 days old": what a report measured, for the line that names it. */
function describe(kind: ReturnType<typeof reportKind>, age: string): string {
  return `${kind.protocol}${kind.target ? ' against a --target server' : ''}, ${kind.conns} connections, ${age}`
}

function ageOf(report: ProbeReport, mtimeMs: number | undefined, now: number): number {
  const generated = Date.parse(report.generatedAt)
  const at = Number.isFinite(generated) ? generated : (mtimeMs ?? now)
  return Math.max(0, (now - at) / 1000)
}

/**
 * The probe report that calibrates an estimate. --calibration FILE must be a measurement
 * (core/probe/fit-quality.ts), else E_BAD_REPORT with the reasons; the automatic lookup skips what
 * cannot be trusted or used and says so.
 */
export function chooseCalibration(request: CalibrationRequest): CalibrationChoice {
  const now = request.now ?? Date.now()
  if (request.file !== undefined) {
    const report = readProbeReport(request.file)
    const problems = fitProblems(report)
    if (problems.length > 0) {
      throw new C1mError('E_BAD_REPORT', `${request.file} cannot calibrate an estimate: ${problems.join('; ')}`, 'run `c1m probe` again on a quiet host and pass its report')
    }
    const notes: string[] = []
    if (request.kernel !== undefined && report.host?.kernel !== request.kernel) {
      notes.push(`${request.file} was measured on kernel ${report.host?.kernel ?? 'unknown'}, this host runs ${request.kernel}; its figures may not hold here`)
    }
    const ageSeconds = ageOf(report, undefined, now)
    const kind = reportKind(report)
    const age = formatAge(ageSeconds * 1000)
    const calibration = {...calibrateFromReport(report, request.file, request.connsPerHost, request.floors), age}
    notes.push(`calibrated by ${request.file} (${describe(kind, age)})`)
    return {calibration, used: {file: request.file, chosen: '--calibration', ...kind, ageSeconds, age}, skipped: [], notes}
  }
  if (!request.lookup) return {skipped: [], notes: []}
  const dir = probeReportDir()
  const lookup = findNewestProbeReport(dir, {engine: request.engine, kernel: request.kernel, protocol: request.protocol ?? 'tcp', family: request.family})
  const notes = lookup.skipped.slice(0, MAX_SKIP_NOTES).map((s) => `skipped probe report ${s.file}: ${s.why}`)
  const more = lookup.skipped.length - MAX_SKIP_NOTES
  if (more > 0) notes.push(`skipped ${more} more probe reports (--json lists them)`)
  if (!lookup.found) {
    if (lookup.skipped.length > 0) notes.push(`no saved probe report measured this kind of run, so the kernel figure is the model's; pass --calibration FILE to use one of them anyway`)
    return {skipped: lookup.skipped, notes}
  }
  const {file, report, mtimeMs} = lookup.found
  const ageSeconds = ageOf(report, mtimeMs, now)
  const age = formatAge(ageSeconds * 1000)
  let calibration: Calibration
  try {
    calibration = {...calibrateFromReport(report, file, request.connsPerHost, request.floors), age}
  } catch (error) {
    const skipped = [...lookup.skipped, {file, why: (error as Error).message}]
    return {skipped, notes: [...notes, `skipped probe report ${file}: ${(error as Error).message}`]}
  }
  const kind = reportKind(report)
  notes.push(`calibrated by ${file} (${describe(kind, age)}; the newest report of this kind in ${dir}; pass --calibration FILE to choose one)`)
  return {calibration, used: {file, chosen: 'newest saved report', ...kind, ageSeconds, age}, skipped: lookup.skipped, notes}
}
