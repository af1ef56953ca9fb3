// The time to open, from the clients' latency histograms (probes/hist.h): buckets add up across
// clients, and a quantile reads as its bucket's top, never above the exact maximum.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {addCounts, openLatency, parseHistogram} from '../src/core/probe/latency.js'

describe('open latency histograms', () => {
  it('parses "BUCKET:COUNT" pairs and leaves out what is malformed', () => {
    assert.deepEqual([...parseHistogram('80:3,81:2,x:1,400:9,82:')], [[80, 3], [81, 2]])
    assert.equal(parseHistogram('').size, 0)
  })

  it('adds two clients and reads p50, p99 and max from the sum', () => {
    // Bucket 80 tops at 2^(80/8) us = 1.024 ms; bucket 120 at 2^15 us = 32.768 ms.
    const sum = addCounts([parseHistogram('80:60'), parseHistogram('80:39,120:1')])
    assert.deepEqual(openLatency(sum, 30), {count: 100, p50: 1.024, p99: 1.024, max: 30})
    const slow = addCounts([sum, parseHistogram('120:5')])
    assert.deepEqual(openLatency(slow, 30), {count: 105, p50: 1.024, p99: 30, max: 30}, 'p99 in the slow bucket, capped at the maximum')
  })

  it('an empty histogram has no figures', () => {
    assert.equal(openLatency(new Map(), 0), undefined)
  })
})
