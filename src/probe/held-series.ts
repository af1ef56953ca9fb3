import type {HostRoot} from '../host/files/root.js'
import {MAX_HELD_READINGS, thinReadings} from '../core/probe/held-figure.js'
import type {HoldResult} from '../core/probe/run-report.js'
import {sampleServersRss} from './sample-memory.js'

export type HeldReading = NonNullable<HoldResult['serverMemory']>[number]

/**
 * The servers' memory read through a hold, about every second: past MAX_HELD_READINGS every other
 * reading is dropped and the period doubles, so a hold of days keeps its whole span. What
 * core/probe/held-figure.ts settles, for probe's hold and for client's alike.
 */
export class HeldSeries {
  readonly readings: HeldReading[] = []
  /** Milliseconds between readings now. */
  every = 1000
  private lastRead = 0

  constructor(private readonly root: HostRoot, private readonly trees: () => number[][], private readonly started = performance.now()) {}

  /** Read the servers' memory now. */
  read(): void {
    this.lastRead = performance.now()
    const server = sampleServersRss(this.root, this.trees())
    const t = Number(((this.lastRead - this.started) / 1000).toFixed(1))
    this.readings.push({t, rssBytes: server.rss, ...(server.trees ? {trees: server.trees} : {})})
    if (this.readings.length >= MAX_HELD_READINGS) {
      this.readings.splice(0, this.readings.length, ...thinReadings(this.readings))
      this.every *= 2
    }
  }

  /** Whether a reading is due (a loop that wakes more often asks before each read). */
  due(): boolean {
    return performance.now() - this.lastRead >= this.every - 50
  }
}
