import type {PhaseName, ProbePhases} from '../core/probe/phases.js'

/**
 * Adds up the wall time a probe run spends in each phase, from its creation to phases(); tells
 * onPhase each phase as it begins, and undefined as it ends.
 */
export class PhaseClock {
  private readonly started = performance.now()
  private readonly spent: Record<PhaseName, number> = {startSeconds: 0, rampSeconds: 0, settleSeconds: 0, sampleSeconds: 0, echoSeconds: 0, holdSeconds: 0, closeSeconds: 0, teardownSeconds: 0}

  constructor(private readonly onPhase?: (phase: PhaseName | undefined) => void) {}

  /** Run work and count its time to phase, whether it succeeds or throws. */
  async time<T>(phase: PhaseName, work: () => Promise<T> | T): Promise<T> {
    const start = performance.now()
    this.onPhase?.(phase)
    try {
      return await work()
    } finally {
      this.spent[phase] += (performance.now() - start) / 1000
      this.onPhase?.(undefined)
    }
  }

  /** The phases so far, to the millisecond. */
  phases(): ProbePhases {
    const round = (seconds: number) => Number(seconds.toFixed(3))
    const spent = Object.fromEntries(Object.entries(this.spent).map(([name, s]) => [name, round(s)])) as Record<PhaseName, number>
    return {...spent, totalSeconds: round((performance.now() - this.started) / 1000)}
  }
}
