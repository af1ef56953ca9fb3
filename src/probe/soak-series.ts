import type {HostRoot} from '../host/files/root.js'
import {readHostText} from '../host/files/root.js'
import {parseMeminfo, readSockstat} from '../host/read/memory.js'
import {parseDuration} from '../core/duration.js'
import {thinReadings} from '../core/probe/held-figure.js'
import {MAX_SOAK_READINGS, SOAK_AFTER_MS, SOAK_EVERY_MS, SOAK_PROGRESS_READINGS, type SoakBaseline, type SoakReading, soakProgressLine} from '../core/probe/soak.js'
import {sampleServersRss} from './sample-memory.js'
import {PAGE_SIZE} from '../core/estimate/socket-cost.js'

/** The kernel figure's two parts now: /proc/meminfo Slab (bytes) and sockstat TCP mem (pages). */
export function readKernelParts(root: HostRoot, sockstatPid?: number): {slabBytes: number; tcpMemPages: number} {
  const meminfo = readHostText(root, '/proc/meminfo')
  return {slabBytes: meminfo.ok ? parseMeminfo(meminfo.text).Slab ?? 0 : 0, tcpMemPages: readSockstat(root, sockstatPid)?.TCP?.mem ?? 0}
}

/** Slab + TCP buffer bytes now: the kernel figure's baseline for a soak without a ramp's samples. */
export function readKernelBytes(root: HostRoot, sockstatPid?: number): number {
  const {slabBytes, tcpMemPages} = readKernelParts(root, sockstatPid)
  return slabBytes + tcpMemPages * PAGE_SIZE
}

/**
 * When a hold is a soak and how often it reads: C1M_SOAK_AFTER (a hold longer than this, default
 * 60s) and C1M_SOAK_EVERY (default 5s), for tests that cannot wait minutes.
 */
export function soakSettings(env: NodeJS.ProcessEnv = process.env): {afterMs: number; everyMs: number} {
  const afterMs = env.C1M_SOAK_AFTER ? parseDuration(env.C1M_SOAK_AFTER, 'C1M_SOAK_AFTER') : SOAK_AFTER_MS
  const everyMs = env.C1M_SOAK_EVERY ? Math.max(100, parseDuration(env.C1M_SOAK_EVERY, 'C1M_SOAK_EVERY')) : SOAK_EVERY_MS
  return {afterMs, everyMs}
}

export interface SoakSources {
  root: HostRoot
  /** The servers' process trees, read again at each reading. */
  trees: () => number[][]
  /** Connections the clients hold now (undefined when they cannot be asked: the last count stands). */
  held: () => Promise<number | undefined>
  /** Read /proc/PID/net/sockstat (the namespace's view) instead of /proc/net/sockstat. */
  sockstatPid?: number
  baseline: SoakBaseline
  conns: number
  progress: (line: string) => void
}

/**
 * The soak's readings every few seconds of a long hold: connections held, the servers' RSS, the
 * slab and the TCP buffer pages; a progress line a minute. Past MAX_SOAK_READINGS every other
 * reading is dropped and the period doubles, so days fit.
 */
export class SoakSeries {
  readonly readings: SoakReading[] = []
  private lastRead = -Infinity
  private lastProgress = -Infinity
  private lastHeld: number
  /** Milliseconds between progress lines: SOAK_PROGRESS_READINGS of the starting period (a minute). */
  private readonly progressEvery: number

  constructor(private readonly sources: SoakSources, public every: number, private readonly started: number) {
    this.lastHeld = sources.conns
    this.progressEvery = every * SOAK_PROGRESS_READINGS
  }

  due(): boolean {
    return performance.now() - this.lastRead >= this.every - 50
  }

  async read(): Promise<void> {
    this.lastRead = performance.now()
    const {root} = this.sources
    this.lastHeld = (await this.sources.held().catch(() => undefined)) ?? this.lastHeld
    const reading: SoakReading = {
      t: Number(((performance.now() - this.started) / 1000).toFixed(1)),
      held: this.lastHeld,
      serverRss: sampleServersRss(root, this.sources.trees()).rss,
      ...readKernelParts(root, this.sources.sockstatPid),
    }
    this.readings.push(reading)
    // The first reading, then one a minute (SOAK_PROGRESS_READINGS of the starting period).
    if (this.lastRead - this.lastProgress >= this.progressEvery - 50) {
      this.lastProgress = this.lastRead
      this.sources.progress(soakProgressLine(reading, this.sources.conns, this.sources.baseline))
    }
    if (this.readings.length >= MAX_SOAK_READINGS) {
      this.readings.splice(0, this.readings.length, ...thinReadings(this.readings))
      this.every *= 2
    }
  }
}
