// What a server holds per connection once the hold has settled, against the ramp's slope. A
// server with a garbage collector can give memory back during the hold; one that allocates on
// the first message grows after it. Pure.

/** Readings below this many cannot say whether the memory settled. */
export const MIN_HELD_READINGS = 4
/** The ramp slope and the held figure differ when they are this far apart (share of the slope). */
export const HELD_DIFFERS = 0.1

export type HeldTrend = 'settled' | 'rising' | 'falling' | 'noisy' | 'short'

export interface Settling {
  trend: HeldTrend
  /** Settled: the index of the first reading of the flat tail, and the tail's mean. */
  from?: number
  level?: number
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length
}

/** How far the least-squares line through the readings moves from the first to the last. */
function drift(values: number[]): number {
  const n = values.length
  const meanX = (n - 1) / 2
  const meanY = mean(values)
  let sxx = 0
  let sxy = 0
  for (const [x, y] of values.entries()) {
    sxx += (x - meanX) ** 2
    sxy += (x - meanX) * (y - meanY)
  }
  return (sxy / sxx) * (n - 1)
}

/**
 * Whether a series of readings settled: its last readings (at least 3, and at least a quarter of
 * them) lie within `tolerance` of each other, and their line moves less than half of it. When it
 * did not: rising or falling when its last third sits more than `tolerance` above or below its
 * first third, else noisy.
 */
export function settleSeries(values: number[], tolerance: number): Settling {
  const n = values.length
  if (n < MIN_HELD_READINGS) return {trend: 'short'}
  let from = n
  let low = Infinity
  let high = -Infinity
  while (from > 0) {
    const v = values[from - 1]
    if (Math.max(high, v) - Math.min(low, v) > tolerance) break
    low = Math.min(low, v)
    high = Math.max(high, v)
    from--
  }
  const tail = values.slice(from)
  // A slow climb or fall can keep a few readings within the tolerance: their line must be flat too.
  if (tail.length >= Math.max(3, Math.ceil(n / 4)) && Math.abs(drift(tail)) <= tolerance / 2) return {trend: 'settled', from, level: mean(tail)}
  const third = Math.max(1, Math.floor(n / 3))
  const change = mean(values.slice(n - third)) - mean(values.slice(0, third))
  if (change > tolerance) return {trend: 'rising'}
  if (change < -tolerance) return {trend: 'falling'}
  return {trend: 'noisy'}
}

export interface HeldFigure {
  trend: HeldTrend
  /** Settled: (the settled level - the baseline before the ramp) / connections. */
  bytesPerConn?: number
  /** Seconds into the hold the memory settled. */
  settledAfter?: number
  /** The ramp's slope, and which way the held figure left it by more than HELD_DIFFERS. */
  rampBytesPerConn: number
  differs?: 'gave-back' | 'grew'
}

/** The noise RSS readings may show and still count as flat: 256 KiB, or 5% of what the connections grew. */
export function heldTolerance(values: number[], baseline: number): number {
  return Math.max(256 * 1024, 0.05 * Math.abs(Math.max(...values) - baseline))
}

/**
 * The held figure from the hold's readings ({t seconds, rss bytes}), the baseline before any
 * connection, the connections held and the ramp's slope.
 */
export function heldFigure(readings: {t: number; rss: number}[], baseline: number, conns: number, rampBytesPerConn: number): HeldFigure {
  const values = readings.map((r) => r.rss)
  const settling = settleSeries(values, values.length > 0 ? heldTolerance(values, baseline) : 0)
  const ramp = Math.round(rampBytesPerConn)
  if (settling.trend !== 'settled' || conns <= 0) return {trend: settling.trend, rampBytesPerConn: ramp}
  const bytesPerConn = Math.round((settling.level! - baseline) / conns)
  const off = rampBytesPerConn > 0 ? (bytesPerConn - rampBytesPerConn) / rampBytesPerConn : 0
  return {
    trend: 'settled',
    bytesPerConn,
    settledAfter: readings[settling.from!].t,
    rampBytesPerConn: ramp,
    ...(off < -HELD_DIFFERS ? {differs: 'gave-back' as const} : off > HELD_DIFFERS ? {differs: 'grew' as const} : {}),
  }
}

/** The text for a held figure that left the ramp slope. */
export function describeDifference(differs: 'gave-back' | 'grew'): string {
  return differs === 'gave-back' ? 'memory given back during the hold (a garbage collector)' : 'memory grew after the first message'
}

/** Readings of a hold kept at most; past it every other is dropped and the period doubles. */
export const MAX_HELD_READINGS = 3600

/** Every other reading, the last one kept: a long hold's series at half the rate. */
export function thinReadings<T>(readings: T[]): T[] {
  const last = readings.length - 1
  return readings.filter((_, i) => i % 2 === last % 2)
}
