import type {ErrorCode} from '../errors.js'
import {quoteBytes} from './refusal.js'

interface Echo {
  sent: number
  echoed: number
  mismatched?: number
  closed?: number
  firstBytes?: string
}

/** The parts of a finished probe run that decide how it ends. */
export interface ProbeEnd {
  stopped?: string
  samples: unknown[]
  echo?: Echo
  hold?: {dropped: number; conns: number; echo?: Echo}
  /** Unaccepted connections (someone else's server never called accept() for them). */
  unaccepted?: {connections: number}
  /** The fit's problems (core/probe/fit-quality.ts): the kernel figure is not a measurement. */
  fit?: {problems?: string[]}
}

export interface ProbeOutcome {
  /** The exit code's name when the run is not a clean measurement; undefined for exit 0. */
  code?: Extract<ErrorCode, 'E_PROBE_FAILED' | 'E_NOT_MEASURED' | 'E_INTERRUPTED'>
  /** One line each: what went wrong. */
  notes: string[]
}

/** Why connections did not echo: a wrong answer is named and quoted, a silence is a time-out. */
export function describeEcho(echo: Echo): string {
  const missing = echo.sent - echo.echoed
  const parts: string[] = []
  if (echo.mismatched) parts.push(`${echo.mismatched} answered with other bytes${echo.firstBytes ? `, first ${quoteBytes(echo.firstBytes)}` : ''}`)
  if (echo.closed) parts.push(`${echo.closed} were closed by the server`)
  const rest = missing - (echo.mismatched ?? 0) - (echo.closed ?? 0)
  if (rest > 0) parts.push(`${rest} did not answer in time`)
  return `${missing} of ${echo.sent} connections did not echo (${parts.join('; ')})`
}

/**
 * How a probe run ends: interrupted (130), stopped early, a peer died, connections refused or
 * dropped, not echoing or never accepted (10); a run that held its connections but whose kernel
 * figure is not a measurement (13: it measured nothing that can be used; the report says why and
 * estimate refuses it); otherwise 0.
 */
export function probeOutcome(run: ProbeEnd): ProbeOutcome {
  const notes: string[] = []
  let code: ProbeOutcome['code']
  if (run.stopped === 'interrupted') {
    code = 'E_INTERRUPTED'
    notes.push(`interrupted: the report holds the ${run.samples.length} samples taken`)
  } else if (run.stopped) {
    code = 'E_PROBE_FAILED'
    notes.push(`the ramp stopped early: ${run.stopped}; the fit uses the ${run.samples.length} samples taken`)
  }
  const hold = run.hold
  if (hold && (hold.dropped > 0 || (hold.echo && hold.echo.echoed < hold.echo.sent))) {
    code ??= 'E_PROBE_FAILED'
    const echo = hold.echo && hold.echo.echoed < hold.echo.sent ? `; after it ${describeEcho(hold.echo)}` : ''
    notes.push(`during the hold ${hold.dropped} of ${hold.conns} connections dropped${echo}`)
  }
  if (run.echo && run.echo.echoed < run.echo.sent) {
    code ??= 'E_PROBE_FAILED'
    notes.push(describeEcho(run.echo))
  }
  if (run.unaccepted && run.unaccepted.connections > 0) {
    code ??= 'E_PROBE_FAILED'
    notes.push(`${run.unaccepted.connections} connections were never accepted by the server (they waited in its listen queue, or their handshake was dropped) and count as not held`)
  }
  // An early stop is already said above; any other problem means the kernel figure measured nothing.
  const problems = (run.fit?.problems ?? []).filter((p) => !p.startsWith('the run stopped early'))
  if (problems.length > 0) {
    code ??= 'E_NOT_MEASURED'
    notes.push(`the kernel figure is not a measurement: ${problems.join('; ')}`)
  }
  return {code, notes}
}
