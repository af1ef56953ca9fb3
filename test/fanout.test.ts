import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {fanoutReport, formatFanout, mergeBroadcasts, parseBroadcastSends, parseClientBroadcasts} from '../src/core/probe/fanout.js'
import {renderFanoutChart} from '../src/reports/fanout-html.js'

// The pure side of fan-out (src/core/probe/fanout.ts): the clients' "fanout" lines and the servers'
// sends read and added up per broadcast, and the sockstat reading taken inside each burst's window.

describe('fan-out figures', () => {
  it('adds each broadcast up across clients and servers, first and last over all, the peak inside its window', () => {
    // Two clients: broadcast 1 reached 3 + 2 connections, broadcast 2 only the first client's 3.
    const a = parseClientBroadcasts('1 1000000 3 0.100 4.000 0:1,90:1,97:1;2 2000000 3 0.200 1.000 60:3')
    const b = parseClientBroadcasts('1 1000050 2 2.000 9.500 88:1,104:1;garbage;')
    assert.equal(a.length, 2)
    assert.equal(b.length, 1, 'a malformed entry is left out')
    const sends = [parseBroadcastSends('1:3,2:3'), parseBroadcastSends('1:2,2:2,x:1')]
    // Readings: one before broadcast 1 (not its burst), one inside it, one inside broadcast 2's.
    const readings = [{atUs: 999_000, pages: 900}, {atUs: 1_005_000, pages: 40}, {atUs: 2_000_500, pages: 7}]
    const [first, second] = mergeBroadcasts([a, b], sends, readings)
    // Broadcast 1's five delays fall in buckets 0, 88, 90, 97, 104: p50 is the 3rd (bucket 90, whose
    // top is 2^(90/8) us = 2.435 ms), p99 the 5th (bucket 104: 2^13 us = 8.192 ms, under the 9.5 max).
    assert.deepEqual({...first}, {seq: 1, delivered: 5, expected: 5, firstMs: 0.1, lastMs: 9.5, p50Ms: 2.435, p99Ms: 8.192, maxMs: 9.5, sentUs: 1_000_000, tcpMemPeakPages: 40})
    assert.equal(second.delivered, 3)
    assert.equal(second.expected, 5, 'the second server sent it to 2 connections the clients never reported')
    assert.equal(second.tcpMemPeakPages, 7)
    const lines = formatFanout({source: {kind: 'broadcast', everyMs: 1000, size: 64}, broadcasts: [first, second], late: 0}, 4096)
    assert.equal(lines[0], 'broadcast 1: 5 of 5 delivered, first after 0.1 ms, last after 9.5 ms, p50 2.435 ms, p99 8.192 ms, max 9.5 ms, TCP buffers at peak 40 pages (160 KiB)')
    assert.match(lines[1], /^broadcast 2: 3 of 5 delivered/)
  })

  it('draws the delivery curve of the first, the median and the worst broadcast: the share of the expected connections against ms', () => {
    // Three broadcasts to 4 connections in one client, the servers sending each to 4 (one missed in
    // broadcast 2). Bucket 80 tops at 2^10 us = 1.024 ms, bucket 88 at 2.048, bucket 96 at 4.096.
    const client = parseClientBroadcasts('1 1000 4 0.5 3.000 80:2,88:2;2 2000 3 0.6 1.500 80:2,88:1;3 3000 4 0.7 4.000 80:1,96:3')
    const report = fanoutReport({kind: 'broadcast', everyMs: 1000, size: 64}, [client], [parseBroadcastSends('1:4,2:4,3:4')], [], 0)
    // Broadcast 1 is the first and, by its last receipt (3 ms between 1.5 and 4), the median; 3 the worst.
    assert.deepEqual(report.curves, [
      {seq: 1, which: 'first, median', points: [{ms: 1.024, share: 0.5}, {ms: 2.048, share: 1}]},
      {seq: 3, which: 'worst', points: [{ms: 1.024, share: 0.25}, {ms: 4, share: 1}]},
    ])
    // A broadcast one connection missed ends short of everyone: 3 of the 4 expected.
    const missed = fanoutReport({kind: 'broadcast', everyMs: 1000, size: 64}, [client.slice(1, 2)], [parseBroadcastSends('2:4')], [], 0)
    assert.deepEqual(missed.curves![0].points, [{ms: 1.024, share: 0.5}, {ms: 1.5, share: 0.75}])
    const html = renderFanoutChart(report)
    assert.match(html, /data-panel="fanout-delivery"/)
    const lines = [...html.matchAll(/<polyline class="measured" data-series="([^"]+)"[^>]* points="([^"]+)"/g)]
    assert.deepEqual(lines.map((m) => m[1]), ['broadcast 1 (first, median): last after 3 ms', 'broadcast 3 (worst): last after 4 ms'])
    assert.deepEqual(lines.map((m) => m[2].split(' ').length), [3, 3], 'from the origin, then one point a populated bucket')
    assert.equal(renderFanoutChart({source: {kind: 'observed'}, broadcasts: [], late: 0}), '', 'nothing to draw without a broadcast')
  })

  it('summarises more than ten broadcasts with the worst one', () => {
    const many = Array.from({length: 12}, (_, i) => ({seq: i + 1, delivered: 10, expected: 10, firstMs: 1, lastMs: i === 7 ? 80 : 5, p50Ms: 2, p99Ms: 4, maxMs: i === 7 ? 80 : 5, sentUs: i}))
    const lines = formatFanout({source: {kind: 'broadcast', everyMs: 1000, size: 64}, broadcasts: many, late: 0}, 4096)
    assert.deepEqual(lines, ['12 broadcasts: 120 of 120 delivered; time to the last connection: median 5 ms, worst 80 ms', 'worst broadcast 8: 10 of 10 delivered, first after 1 ms, last after 80 ms, p50 2 ms, p99 4 ms, max 80 ms'])
  })
})
