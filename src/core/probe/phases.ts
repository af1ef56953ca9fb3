/** Where a probe run's wall time went, in seconds; the phases add up to about totalSeconds. */
export interface ProbePhases {
  /** Namespace, engine build or check, and starting the echo processes. */
  startSeconds: number
  /** Opening connections (the steps' connect time). */
  rampSeconds: number
  /** Waiting for the servers to accept what the clients opened, and the settle pauses. */
  settleSeconds: number
  /** Reading memory and checking the processes after each step. */
  sampleSeconds: number
  echoSeconds: number
  holdSeconds: number
  /** Resetting every connection and stopping the processes. */
  closeSeconds: number
  /** The probe processes' exits (the kernel freeing what they held) and deleting the network namespace. */
  teardownSeconds: number
  totalSeconds: number
}

export type PhaseName = Exclude<keyof ProbePhases, 'totalSeconds'>

/**
 * The line a Ctrl-C or SIGTERM prints, by the phase it came in: during the hold the hold ends at
 * once and the report keeps what it read; during the close or teardown the measurement is over
 * and the close goes on; otherwise the ramp's current step finishes first.
 */
export function describeInterrupt(signal: string, phase: PhaseName | undefined): string {
  if (phase === 'holdSeconds') return `${signal}: ending the hold early; every connection is closed and the report is written with what was read so far (exit 130)`
  if (phase === 'closeSeconds' || phase === 'teardownSeconds') return `${signal}: the measurement is done and every connection is already closing; the report follows once they are closed`
  return `${signal}: finishing this step, then closing every connection`
}

/** One line for people: "phases: ramp 18.2 s, settle 1.1 s, ... total 40.3 s". */
export function describePhases(phases: ProbePhases): string {
  const parts = (Object.entries(phases) as Array<[keyof ProbePhases, number]>)
    .filter(([name, seconds]) => name !== 'totalSeconds' && seconds > 0)
    .map(([name, seconds]) => `${name.replace(/Seconds$/, '')} ${seconds.toFixed(1)} s`)
  return `phases: ${[...parts, `total ${phases.totalSeconds.toFixed(1)} s`].join(', ')}`
}
