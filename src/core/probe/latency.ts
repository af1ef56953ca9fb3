// How long connections took to count, from the clients' histograms (probes/hist.h writes them):
// 8 buckets per doubling of microseconds, bucket 0 under 1 us, bucket b >= 1 from 2^((b-1)/8) us
// up to 2^(b/8) us. Histograms add up across clients; a quantile reads as its bucket's upper
// bound (at most about 9% high), never above the exact maximum.

export interface OpenLatency {
  /** Connections timed. */
  count: number
  /** Milliseconds from connect() to the connection counting (TCP, then TLS, then the protocol's opening). */
  p50: number
  p99: number
  max: number
}

export type Histogram = Map<number, number>

const BUCKETS = 320

/** "KEY:COUNT,..." as the clients print counts (keys below `limit`); anything malformed is left out. */
export function parseCounts(text: string, limit: number): Map<number, number> {
  const counts = new Map<number, number>()
  for (const part of text.split(',')) {
    const match = /^(\d{1,5}):(\d{1,15})$/.exec(part)
    if (!match || Number(match[1]) >= limit) continue
    counts.set(Number(match[1]), (counts.get(Number(match[1])) ?? 0) + Number(match[2]))
  }
  return counts
}

/** "BUCKET:COUNT,..." from one client. */
export function parseHistogram(text: string): Histogram {
  return parseCounts(text, BUCKETS)
}

/** Counts keyed alike (histogram buckets, close codes) added up across clients. */
export function addCounts(counts: Array<Map<number, number>>): Map<number, number> {
  const sum = new Map<number, number>()
  for (const one of counts) {
    for (const [key, n] of one) sum.set(key, (sum.get(key) ?? 0) + n)
  }
  return sum
}

/** The upper bound of a bucket, in milliseconds. */
function bucketTopMs(bucket: number): number {
  return bucket === 0 ? 0.001 : 2 ** (bucket / 8) / 1000
}

/** The count of a histogram and its quantile q in milliseconds (never above maxMs, to 3 decimals). */
function quantiles(histogram: Histogram, maxMs: number): {count: number; quantile: (q: number) => number} {
  const buckets = [...histogram.entries()].sort((a, b) => a[0] - b[0])
  const count = buckets.reduce((total, [, n]) => total + n, 0)
  const quantile = (q: number): number => {
    const rank = Math.ceil(q * count)
    let seen = 0
    for (const [bucket, n] of buckets) {
      seen += n
      if (seen >= rank) return round(Math.min(bucketTopMs(bucket), maxMs))
    }
    return round(maxMs)
  }
  return {count, quantile}
}

const round = (ms: number) => Number(ms.toFixed(3))

/** p50, p99 and the maximum of a histogram; undefined when it is empty. */
export function openLatency(histogram: Histogram, maxMs: number): OpenLatency | undefined {
  const {count, quantile} = quantiles(histogram, maxMs)
  if (count === 0) return undefined
  return {count, p50: quantile(0.5), p99: quantile(0.99), max: round(maxMs)}
}

/** A point of a delivery curve: the share (0 to 1) of the connections with a delay of at most ms. */
export interface CurvePoint {
  ms: number
  share: number
}

/**
 * The share of `of` connections that had a message within each populated bucket's top (never
 * above maxMs), in order: the cumulative histogram, as coarse as its buckets (about 9%).
 */
export function deliveryCurve(histogram: Histogram, maxMs: number, of: number): CurvePoint[] {
  if (of <= 0) return []
  let seen = 0
  return [...histogram.entries()].sort((a, b) => a[0] - b[0]).map(([bucket, n]) => {
    seen += n
    return {ms: round(Math.min(bucketTopMs(bucket), maxMs)), share: Number((seen / of).toFixed(6))}
  })
}

/**
 * Traffic's echo latency (probes/traffic-latency.h, node-traffic.mjs): each message's round trip
 * in milliseconds from when it was due (its round's tick, or its slot with --rate), not from when
 * it was written, so a client that fell behind still counts the wait.
 */
export interface EchoLatency {
  /** Messages whose echo came back, each timed. */
  count: number
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
  /**
   * Messages sent whose echo had not come when the traffic stopped (and its 10 s wait ended), or
   * whose connection closed first.
   */
  lost: number
}

/** The quantiles of the clients' added-up traffic histograms, with the messages lost. */
export function echoLatency(histogram: Histogram, maxMs: number, lost: number): EchoLatency {
  const {count, quantile} = quantiles(histogram, maxMs)
  if (count === 0) return {count, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, lost}
  return {count, p50: quantile(0.5), p90: quantile(0.9), p99: quantile(0.99), p999: quantile(0.999), max: round(maxMs), lost}
}
