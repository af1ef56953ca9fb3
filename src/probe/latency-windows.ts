import {type LatencyWindow, latencyWindowMs, MAX_LATENCY_WINDOWS, mergeAdjacentWindows, mergeWindowParts, summariseWindow, type WindowCounts} from '../core/probe/latency-series.js'
import {parseHistogram} from '../core/probe/latency.js'
import type {Peer} from './peer.js'

/**
 * Traffic's echo latency against time: every client's window ("latency", answered without
 * stopping the traffic) read about every holdMs / 60 (1 s to 60 s), added up across the clients
 * (core/probe/latency-series.ts). Past MAX_LATENCY_WINDOWS adjacent windows are added up in
 * pairs and the period doubles, so a hold of days keeps its whole span.
 */
export class LatencyWindows {
  private readonly windows: WindowCounts[] = []
  /** Milliseconds between reads now. */
  every: number
  private lastRead: number

  constructor(private readonly clients: Array<Peer<'client'>>, holdMs: number, private readonly started = performance.now()) {
    this.every = latencyWindowMs(holdMs)
    this.lastRead = started
  }

  /** Whether a read is due (a loop that wakes more often asks before each read). */
  due(): boolean {
    return performance.now() - this.lastRead >= this.every - 50
  }

  /** Milliseconds until the next read is due (a loop that sleeps longer wakes for it). */
  untilDue(): number {
    return Math.max(0, this.lastRead + this.every - performance.now())
  }

  /** Every client's window since the last read, added up into one (after the traffic stops: the last one). */
  async read(timeoutMs = 30_000): Promise<void> {
    const replies = await Promise.all(this.clients.map((client) => client.ask('latency', timeoutMs)))
    this.lastRead = performance.now()
    const atSeconds = Number(((this.lastRead - this.started) / 1000).toFixed(3))
    this.windows.push(mergeWindowParts(atSeconds, replies.map((r) => ({histogram: parseHistogram(r.latencyHist), maxMs: r.latencyMaxMs, lost: r.lost}))))
    if (this.windows.length >= MAX_LATENCY_WINDOWS) {
      this.windows.splice(0, this.windows.length, ...mergeAdjacentWindows(this.windows))
      this.every *= 2
    }
  }

  /** The series for the report. */
  series(): LatencyWindow[] {
    return this.windows.map(summariseWindow)
  }
}
