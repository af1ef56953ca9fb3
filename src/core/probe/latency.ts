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

/** p50, p99 and the maximum of a histogram; undefined when it is empty. */
export function openLatency(histogram: Histogram, maxMs: number): OpenLatency | undefined {
  const buckets = [...histogram.entries()].sort((a, b) => a[0] - b[0])
  const count = buckets.reduce((total, [, n]) => total + n, 0)
  if (count === 0) return undefined
  const quantile = (q: number): number => {
    const rank = Math.ceil(q * count)
    let seen = 0
    for (const [bucket, n] of buckets) {
      seen += n
      if (seen >= rank) return Math.min(bucketTopMs(bucket), maxMs)
    }
    return maxMs
  }
  const round = (ms: number) => Number(ms.toFixed(3))
  return {count, p50: round(quantile(0.5)), p99: round(quantile(0.99)), max: round(maxMs)}
}
