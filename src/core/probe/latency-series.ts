// Traffic's echo latency against time: the clients answer "latency" with their histogram since
// the last read (a window, probes/traffic-latency.h, node-traffic.mjs); the windows of one read are
// added up across clients here, and each is read for its percentiles as the whole run is
// (echoLatency). A window's figures are its bucket tops, about 9% coarse, never above its maximum.
import {addCounts, echoLatency, type Histogram} from './latency.js'

/** One client's window, as read: its histogram, its exact maximum and the messages lost in it. */
export interface WindowPart {
  histogram: Histogram
  maxMs: number
  lost: number
}

/** A window across the clients, kept whole until the report (two windows add up into one). */
export interface WindowCounts extends WindowPart {
  /** When the window ended: seconds since the traffic started. */
  atSeconds: number
}

/** One window of the series in the report. */
export interface LatencyWindow {
  /** When the window ended, in seconds since the traffic started (it began at the previous one's, or 0). */
  atSeconds: number
  /** Messages whose echo came in the window, each timed from when it was due. */
  messages: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
  /** Messages lost in the window: their connection closed, 255 were in flight; at the end, unanswered. */
  lost: number
}

/** About this many windows over a hold, each 1 s to 60 s long. */
export const WINDOWS_PER_HOLD = 60
export const MIN_WINDOW_MS = 1000
export const MAX_WINDOW_MS = 60_000
/** Past this many windows, adjacent pairs are added up (and the window doubles), so a hold of days fits. */
export const MAX_LATENCY_WINDOWS = 1000

/** The window's length for a hold of holdMs (60 s for a hold until Ctrl-C). */
export function latencyWindowMs(holdMs: number): number {
  if (!Number.isFinite(holdMs)) return MAX_WINDOW_MS
  return Math.round(Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, holdMs / WINDOWS_PER_HOLD)))
}

/** The clients' windows of one read, added up: histograms by bucket, the highest maximum, lost summed. */
export function mergeWindowParts(atSeconds: number, parts: WindowPart[]): WindowCounts {
  return {
    atSeconds,
    histogram: addCounts(parts.map((p) => p.histogram)),
    maxMs: Math.max(0, ...parts.map((p) => p.maxMs)),
    lost: parts.reduce((sum, p) => sum + p.lost, 0),
  }
}

/** Adjacent windows added up in pairs (each pair ends when its later one did; an odd last one stays). */
export function mergeAdjacentWindows(windows: WindowCounts[]): WindowCounts[] {
  const merged: WindowCounts[] = []
  for (let i = 0; i < windows.length; i += 2) {
    const pair = windows.slice(i, i + 2)
    merged.push(mergeWindowParts(pair.at(-1)!.atSeconds, pair))
  }
  return merged
}

/** A window's count, percentiles and maximum (all 0 when no echo came in it). */
export function summariseWindow(window: WindowCounts): LatencyWindow {
  const l = echoLatency(window.histogram, window.maxMs, window.lost)
  return {atSeconds: window.atSeconds, messages: l.count, p50Ms: l.p50, p90Ms: l.p90, p99Ms: l.p99, p999Ms: l.p999, maxMs: l.max, lost: l.lost}
}

/** The window with the highest p99 (the first of equals), of those with an echo; undefined when none. */
export function worstWindow(series: LatencyWindow[]): LatencyWindow | undefined {
  let worst: LatencyWindow | undefined
  for (const w of series) {
    if (w.messages > 0 && (!worst || w.p99Ms > worst.p99Ms)) worst = w
  }
  return worst
}
