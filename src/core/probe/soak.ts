// Memory per connection against time over a long hold (a soak): the server's RSS and the kernel's
// slab and TCP buffer pages, each over the connections still held, a least-squares line through
// them after the warm-up, and whether it grows above the noise. Pure.

import {fitLine} from './fit-line.js'
import {PAGE_SIZE} from '../estimate/socket-cost.js'
import {formatBytes, formatCount} from '../units.js'

/** A hold longer than this is a soak (C1M_SOAK_AFTER changes it for tests). */
export const SOAK_AFTER_MS = 60_000
/** Milliseconds between soak readings (C1M_SOAK_EVERY); the series thins past MAX_SOAK_READINGS. */
export const SOAK_EVERY_MS = 5000
/** Readings between progress lines: one a minute at the default period. */
export const SOAK_PROGRESS_READINGS = 12
/** Readings a soak keeps at most; past it every other is dropped and the period doubles. */
export const MAX_SOAK_READINGS = 2000
/** Readings the fitted window needs before it says anything. */
export const MIN_SOAK_READINGS = 6
/** The warm-up left out of the fit: a fifth of the soak, at most this many seconds. */
export const MAX_WARMUP_SECONDS = 300
/** Growth is above noise when the line moves more than this many residual standard deviations... */
export const NOISE_SIGMAS = 3
/** ...and more than this many bytes over all the connections (RSS and slab move by pages and slabs). */
export const NOISE_FLOOR_BYTES = 1024 * 1024

/** One reading of a soak: seconds into the hold, connections still held, and the memory. */
export interface SoakReading {
  t: number
  held: number
  serverRss: number
  /** /proc/meminfo Slab, bytes. */
  slabBytes: number
  /** sockstat TCP mem, pages. */
  tcpMemPages: number
}

export type SoakVerdict = 'grows' | 'shrinks' | 'flat' | 'short'

export interface SoakGrowth {
  /** The fitted line's slope, bytes per connection per hour. */
  bytesPerConnPerHour: number
  r2: number
  /** Bytes per connection at the start and the end of the fitted window, on the line. */
  startBytesPerConn: number
  endBytesPerConn: number
  /** The residual standard deviation, bytes per connection, and the least change that counts. */
  noiseBytesPerConn: number
  thresholdBytesPerConn: number
  verdict: SoakVerdict
}

export interface SoakFigure {
  /** Seconds into the hold the fitted window starts and ends, and its readings. */
  from: number
  to: number
  readings: number
  server: SoakGrowth
  /** Host-wide (slab + TCP buffer pages): anything else on the host moves it too. */
  kernel: SoakGrowth
  /** Connections held at the first and the last reading. */
  heldFirst: number
  heldLast: number
  /** Echo messages per second flowing each way during the soak (0: idle). */
  messagesPerSecond: number
  /** One line: "grows 1.9 KiB per connection per hour while 1,000 messages/s flow". */
  verdict: string
}

export interface SoakBaseline {
  /** The server trees' RSS and the kernel bytes (slab + TCP pages) before any connection. */
  serverRss: number
  kernelBytes: number
}

/** Server and kernel bytes per connection held at one reading. */
export function perConnAt(reading: SoakReading, baseline: SoakBaseline): {server: number; kernel: number} {
  const held = Math.max(reading.held, 1)
  return {
    server: (reading.serverRss - baseline.serverRss) / held,
    kernel: (reading.slabBytes + reading.tcpMemPages * PAGE_SIZE - baseline.kernelBytes) / held,
  }
}

/** Seconds of the soak's start left out of the fit: a fifth of it, at most MAX_WARMUP_SECONDS. */
export function warmupSeconds(readings: SoakReading[]): number {
  if (readings.length === 0) return 0
  const first = readings[0].t
  return first + Math.min(MAX_WARMUP_SECONDS, (readings.at(-1)!.t - first) / 5)
}

/** The line through (seconds, bytes per connection), and whether it moved above the noise. */
export function fitGrowth(points: {t: number; bytes: number}[], conns: number): SoakGrowth {
  const spread = points.length >= 2 ? points.at(-1)!.t - points[0].t : 0
  if (points.length < MIN_SOAK_READINGS || spread <= 0) {
    const level = points.length > 0 ? points.reduce((a, p) => a + p.bytes, 0) / points.length : 0
    return {bytesPerConnPerHour: 0, r2: 0, startBytesPerConn: Math.round(level), endBytesPerConn: Math.round(level), noiseBytesPerConn: 0, thresholdBytesPerConn: 0, verdict: 'short'}
  }
  const line = fitLine(points.map((p) => ({x: p.t, y: p.bytes})))
  const perSecond = line.bytesPerConn
  const start = line.baseBytes + perSecond * points[0].t
  const end = line.baseBytes + perSecond * points.at(-1)!.t
  const residual = points.reduce((sum, p) => sum + (p.bytes - (line.baseBytes + perSecond * p.t)) ** 2, 0)
  const noise = Math.sqrt(residual / Math.max(1, points.length - 2))
  const threshold = Math.max(NOISE_SIGMAS * noise, NOISE_FLOOR_BYTES / Math.max(conns, 1))
  const change = end - start
  const verdict: SoakVerdict = change > threshold ? 'grows' : change < -threshold ? 'shrinks' : 'flat'
  return {
    bytesPerConnPerHour: Math.round(perSecond * 3600),
    r2: Number(line.r2.toFixed(3)),
    startBytesPerConn: Math.round(start),
    endBytesPerConn: Math.round(end),
    noiseBytesPerConn: Math.round(noise),
    thresholdBytesPerConn: Math.round(threshold),
    verdict,
  }
}

/** "1.9 KiB" per connection per hour, signed. */
function perHour(bytes: number): string {
  return `${formatBytes(Math.abs(bytes))} per connection per hour`
}

/** The flow during the soak, as the verdict ends. */
function flowing(messagesPerSecond: number): string {
  return messagesPerSecond > 0 ? `while ${formatCount(messagesPerSecond)} messages/s flow` : 'while the connections sit idle'
}

/** The one-line verdict of a growth: grows, shrinks, no growth above noise, or too short. */
export function describeGrowth(growth: SoakGrowth, messagesPerSecond: number): string {
  if (growth.verdict === 'short') return `too few readings after the warm-up to fit (at least ${MIN_SOAK_READINGS})`
  const fit = `r2 ${growth.r2.toFixed(2)}`
  if (growth.verdict === 'grows') return `grows ${perHour(growth.bytesPerConnPerHour)} ${flowing(messagesPerSecond)} (${fit})`
  if (growth.verdict === 'shrinks') return `shrinks ${perHour(growth.bytesPerConnPerHour)} ${flowing(messagesPerSecond)} (${fit})`
  return `no growth above noise ${flowing(messagesPerSecond)} (line ${growth.bytesPerConnPerHour < 0 ? '-' : '+'}${perHour(growth.bytesPerConnPerHour)}, within ±${formatBytes(growth.thresholdBytesPerConn)} per connection)`
}

/** Connections lost during the soak: the memory they leave is spread over fewer, which reads as growth. */
function droppedNote(first: number, last: number): string {
  if (last >= first) return ''
  return `; ${formatCount(first - last)} of ${formatCount(first)} connections dropped during the soak, and memory they leave behind counts against those still held`
}

/**
 * The soak's figure from its readings: the warm-up left out, a line through the server's and
 * the kernel's bytes per connection held against time; undefined without two readings.
 */
export function soakFigure(readings: SoakReading[], baseline: SoakBaseline, messagesPerSecond: number): SoakFigure | undefined {
  if (readings.length < 2) return undefined
  const from = warmupSeconds(readings)
  const window = readings.filter((r) => r.t >= from)
  const perConn = window.map((r) => ({t: r.t, ...perConnAt(r, baseline)}))
  const conns = Math.max(1, Math.round(window.reduce((a, r) => a + r.held, 0) / Math.max(window.length, 1)))
  const server = fitGrowth(perConn.map((p) => ({t: p.t, bytes: p.server})), conns)
  const kernel = fitGrowth(perConn.map((p) => ({t: p.t, bytes: p.kernel})), conns)
  return {
    from: window[0]?.t ?? from,
    to: readings.at(-1)!.t,
    readings: window.length,
    server,
    kernel,
    heldFirst: readings[0].held,
    heldLast: readings.at(-1)!.held,
    messagesPerSecond: Math.round(messagesPerSecond),
    verdict: describeGrowth(server, messagesPerSecond) + droppedNote(readings[0].held, readings.at(-1)!.held),
  }
}

/** The progress line of a soak reading: connections held and dropped, and bytes per connection. */
export function soakProgressLine(reading: SoakReading, conns: number, baseline: SoakBaseline): string {
  const {server, kernel} = perConnAt(reading, baseline)
  // Rounded: readings come a little late, so a line a minute would skip a floored minute now and then.
  const minutes = Math.round(reading.t / 60)
  const clock = minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : minutes >= 1 ? `${minutes} min` : `${Math.round(reading.t)} s`
  return `soak ${clock}: ${formatCount(reading.held)} held, ${formatCount(Math.max(0, conns - reading.held))} dropped, server ${(server / 1024).toFixed(2)} KiB/conn, kernel ${(kernel / 1024).toFixed(2)} KiB/conn`
}
