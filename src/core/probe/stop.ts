import type {EchoResult} from './run-report.js'
import {describeEcho} from './outcome.js'
import type {Protocol} from './protocol.js'
import {describeRefusal, type Refusal} from './refusal.js'

/**
 * Why a probe's ramp ended before its last step, or its echo check or hold did not finish (a run
 * that went to the end has none):
 * - interrupted: Ctrl-C or SIGTERM (exit 130);
 * - failed: a probe process stopped, or did not answer a command (why says which and how);
 * - refused: the server closed, or answered unasked, connections of a step;
 * - short: a step opened fewer connections than it asked for, and every process still answers;
 * - echo: a step's echo check (--echo-each-step) came back short.
 */
export type Stop =
  | {kind: 'interrupted'}
  | {kind: 'failed'; why: string}
  | {kind: 'refused'; refusal: Refusal; protocol?: Protocol['kind']}
  | {kind: 'short'; step: number; opened: number; wanted: number; error: string}
  | {kind: 'echo'; step: number; echo: EchoResult}

/** Whether the run can still check and hold the connections it opened: only after a short step. */
export function canGoOn(stop: Stop | undefined): boolean {
  return stop === undefined || stop.kind === 'short'
}

/** The report's one line for a stop (its "stopped" field; "interrupted" is read by probeOutcome). */
export function describeStop(stop: Stop): string {
  switch (stop.kind) {
    case 'interrupted':
      return 'interrupted'
    case 'failed':
      return stop.why
    case 'refused':
      return describeRefusal(stop.refusal, stop.protocol)
    case 'short':
      return `step ${stop.step} opened ${stop.opened} of ${stop.wanted} connections${stop.error ? ` (${stop.error})` : ''}`
    case 'echo':
      return `step ${stop.step}: ${describeEcho(stop.echo)}`
  }
}
