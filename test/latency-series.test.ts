// Echo latency against time: the clients' windows (hist.h's buckets) added up per read, read for
// their percentiles, added up in pairs when a long hold has too many, and the worst one picked.
// Bucket b tops at 2^(b/8) us: 80 -> 1.024 ms, 120 -> 32.768 ms, 136 -> 131.072 ms.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {type LatencyWindow, latencyWindowMs, mergeAdjacentWindows, mergeWindowParts, summariseWindow, worstWindow} from '../src/core/probe/latency-series.js'
import {parseHistogram} from '../src/core/probe/latency.js'

const part = (hist: string, maxMs: number, lost = 0) => ({histogram: parseHistogram(hist), maxMs, lost})

describe('latency windows', () => {
  it("adds two clients' windows bucket by bucket, keeps the higher maximum and sums the lost", () => {
    const w = mergeWindowParts(5, [part('80:60,120:4', 30, 1), part('80:30,120:5,136:1', 120, 2)])
    assert.deepEqual([...w.histogram].sort((a, b) => a[0] - b[0]), [[80, 90], [120, 9], [136, 1]])
    assert.equal(w.maxMs, 120)
    assert.equal(w.lost, 3)
    assert.equal(w.atSeconds, 5)
  })

  it("reads a window's percentiles from the added-up buckets, never above its exact maximum", () => {
    const w = summariseWindow(mergeWindowParts(5, [part('80:60,120:4', 30, 1), part('80:30,120:5,136:1', 120, 2)]))
    // 100 messages: the 50th and 90th in bucket 80, the 99th in 120, the 100th in 136 (capped at 120 ms).
    assert.deepEqual(w, {atSeconds: 5, messages: 100, p50Ms: 1.024, p90Ms: 1.024, p99Ms: 32.768, p999Ms: 120, maxMs: 120, lost: 3})
  })

  it('a window with no echo has no figures but keeps its lost messages', () => {
    assert.deepEqual(summariseWindow(mergeWindowParts(2, [part('', 0, 7), part('', 0)])), {atSeconds: 2, messages: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, lost: 7})
  })

  it('adds adjacent windows in pairs without losing a message: each pair ends when its later one did', () => {
    const windows = [1, 2, 3, 4, 5].map((t) => mergeWindowParts(t, [part(`${70 + t}:${t * 10}`, t, t % 2)]))
    const merged = mergeAdjacentWindows(windows)
    assert.deepEqual(merged.map((w) => w.atSeconds), [2, 4, 5])
    const messages = (ws: typeof windows) => ws.map(summariseWindow).reduce((sum, w) => sum + w.messages, 0)
    assert.equal(messages(merged), messages(windows))
    assert.equal(messages(merged), 150)
    assert.deepEqual(merged.map((w) => w.lost), [1, 1, 1])
    assert.deepEqual(merged.map((w) => w.maxMs), [2, 4, 5])
    assert.deepEqual([...merged[0].histogram].sort((a, b) => a[0] - b[0]), [[71, 10], [72, 20]])
  })

  it('a window is a sixtieth of the hold, from 1 s to 60 s (60 s for a hold until Ctrl-C)', () => {
    assert.equal(latencyWindowMs(2000), 1000)
    assert.equal(latencyWindowMs(600_000), 10_000)
    assert.equal(latencyWindowMs(7_200_000), 60_000)
    assert.equal(latencyWindowMs(Infinity), 60_000)
  })

  it('the worst window is the one with the highest p99 among those with an echo', () => {
    const w = (atSeconds: number, messages: number, p99Ms: number): LatencyWindow => ({atSeconds, messages, p50Ms: 1, p90Ms: 1, p99Ms, p999Ms: p99Ms, maxMs: p99Ms, lost: 0})
    assert.equal(worstWindow([w(1, 10, 3), w(2, 10, 9), w(3, 0, 0), w(4, 10, 9)])?.atSeconds, 2)
    assert.equal(worstWindow([w(1, 0, 0)]), undefined)
    assert.equal(worstWindow([]), undefined)
  })
})
