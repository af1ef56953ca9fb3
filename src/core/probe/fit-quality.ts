import type {ProbeReport} from './fit-report.js'

/** What a probe's kernel fit must show before its figures count as a measurement. */
export const FIT_LIMITS = {
  minSamples: 3,
  minR2: 0.95,
  /** Per socket; a socket's own slab caches alone are about 3.9 KiB on Linux 6.x. */
  minBytesPerSocket: 1024,
  maxBytesPerSocket: 64 * 1024,
} as const

/**
 * Why a probe report's fit cannot be trusted as a measurement (or used as calibration);
 * empty when it can. Pure: reads only the report.
 */
export function fitProblems(report: Pick<ProbeReport, 'samples' | 'fit' | 'stopped'> & Partial<Pick<ProbeReport, 'socketsPerConn' | 'concurrent'>>): string[] {
  const problems: string[] = []
  const samples = report.samples?.length ?? 0
  if (samples < FIT_LIMITS.minSamples) problems.push(`only ${samples} sample${samples === 1 ? '' : 's'} (at least ${FIT_LIMITS.minSamples} are needed for a fit)`)
  const kernel = report.fit?.kernel
  if (!kernel || !Number.isFinite(kernel.r2) || !Number.isFinite(kernel.bytesPerSocket)) {
    problems.push('the kernel fit is missing or not numeric')
    return problems
  }
  if (!Number.isFinite(kernel.bytesPerConn)) {
    problems.push('the kernel fit has no numeric bytesPerConn')
    return problems
  }
  // Estimate computes from bytesPerConn: the per-socket figure checked below must be the same one.
  const sockets = report.socketsPerConn ?? 1
  const perSocket = kernel.bytesPerConn / sockets
  if (Math.abs(perSocket - kernel.bytesPerSocket) > Math.max(1, 0.01 * Math.abs(perSocket))) {
    problems.push(`the kernel fit is inconsistent: ${Math.round(kernel.bytesPerConn)} B per connection over ${sockets} sockets is ${Math.round(perSocket)} B per socket, and it says ${Math.round(kernel.bytesPerSocket)}`)
  }
  if (kernel.r2 < FIT_LIMITS.minR2) problems.push(`the kernel fit's r2 is ${kernel.r2.toFixed(2)}, below ${FIT_LIMITS.minR2} (the host was busy, or the run disturbed)`)
  if (kernel.bytesPerSocket < FIT_LIMITS.minBytesPerSocket || kernel.bytesPerSocket > FIT_LIMITS.maxBytesPerSocket) {
    problems.push(`the kernel cost of ${Math.round(kernel.bytesPerSocket)} B per socket is outside the plausible ${FIT_LIMITS.minBytesPerSocket}-${FIT_LIMITS.maxBytesPerSocket} B`)
  }
  if (report.stopped) problems.push(`the run stopped early: ${report.stopped}`)
  if (report.concurrent) problems.push(concurrentProblem(report.concurrent))
  return problems
}

/** The problem a probe that ran beside another probe carries: its kernel figure holds both runs' sockets. */
export function concurrentProblem(concurrent: NonNullable<ProbeReport['concurrent']>): string {
  const who = concurrent.pids.length > 0 ? ` (PID ${concurrent.pids.join(', ')})` : ''
  return `another c1m probe ran at the same time${who}: the kernel figure counts its connections too`
}
