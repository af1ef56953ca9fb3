// Fan-out over HTTP push (probes/broadcast.h, client-http.h, node-fanout.mjs): the bundled server
// broadcasts an SSE event or a stream chunk; checked against the server's own count of sends, the
// test's own HTTP client reading the events, and the test's clock.
import assert from 'node:assert/strict'
import http from 'node:http'
import {describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, runJson} from './helpers.js'
import {spawnC1m, stopChild} from './spawn-c1m.js'

/** CLOCK_MONOTONIC in microseconds, the clock the probes stamp (node's hrtime on Linux). */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)

describe('c1m probe --broadcast-every over SSE and a chunked stream', () => {
  for (const protocol of ['sse', 'stream'] as const) {
    it(`--protocol ${protocol}: every broadcast reaches all 400 connections, as the server counted its sends`, async () => {
      const conns = 400
      const before = monotonicUs()
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--protocol', protocol, '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '2500ms', '--broadcast-every', '800ms', '--broadcast-size', '256'])
      const afterRun = monotonicUs()
      assertHeld(exitCode, stderr + endNotes(envelope))
      const hold = envelope.result.hold!
      const {broadcasts} = hold.fanout!
      assert.ok(broadcasts.length >= 2 && broadcasts.length <= 4, `2 to 4 broadcasts in 2.5 s, got ${broadcasts.length}`)
      for (const b of broadcasts) {
        assert.equal(b.expected, conns, `broadcast ${b.seq}: the server's own count of sends`)
        assert.equal(b.delivered, conns, `broadcast ${b.seq}: delivered to each connection`)
        assert.ok(b.sentUs > before && b.sentUs < afterRun, `broadcast ${b.seq} sent at ${b.sentUs}, outside the run`)
      }
      // The clients' own count of what was pushed in the hold: the broadcasts, as events (SSE: a
      // blank line ends one) or chunks, and their bytes (SSE's with "data: " and the blank line).
      assert.equal(hold.messagesReceived!.events, broadcasts.length * conns)
      assert.equal(hold.messagesReceived!.bytes, broadcasts.length * conns * (protocol === 'sse' ? 256 + 8 : 256))
    })
  }
})

/** The test's own SSE reader: each event's data, with the monotonic time it was read. */
function readEvents(port: number, leaveAfter: number): Promise<Array<{data: string; atUs: number}>> {
  return new Promise((resolve, reject) => {
    const events: Array<{data: string; atUs: number}> = []
    const request = http.get({host: '127.0.0.1', port, path: '/', headers: {accept: 'text/event-stream'}}, (response) => {
      if (response.statusCode !== 200 || !/^text\/event-stream/.test(response.headers['content-type'] ?? '')) {
        reject(new Error(`answered ${response.statusCode} ${response.headers['content-type']}`))
        return
      }
      let buffered = ''
      response.setEncoding('latin1')
      response.on('data', (chunk: string) => {
        const atUs = monotonicUs()
        buffered += chunk
        let end: number
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const data = buffered.slice(0, end).split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
          buffered = buffered.slice(end + 2)
          if (!data.startsWith('c1m-fanout ')) continue
          events.push({data, atUs})
          if (Number(data.split(' ')[1]) === leaveAfter) {
            request.destroy()
            resolve(events)
          }
        }
      })
      response.on('end', () => resolve(events))
    })
    request.on('error', (error) => (events.length ? resolve(events) : reject(error)))
    request.setTimeout(20_000, () => request.destroy(new Error('no event for 20 s')))
  })
}

describe('c1m server --protocol sse --broadcast-every, read by SSE clients of the test\'s own', () => {
  it('each client gets every broadcast until it leaves, the server counts exactly those sends', async () => {
    const server = await spawnC1m(['server', '--protocol', 'sse', '--port', '0', '--interval', '100ms', '--broadcast-every', '200ms', '--broadcast-size', '100', '--json'], {waitFor: /listening on 127\.0\.0\.1:(\d+) \(/, timeoutMs: 60_000})
    const clients = 20
    const last = 4
    let seen: Array<Array<{data: string; atUs: number}>>
    try {
      seen = await Promise.all(Array.from({length: clients}, () => readEvents(Number(server.match[1]), last)))
      const wait = Date.now() + 10_000
      while (!new RegExp(`open 0, accepted ${clients}`).test(server.output.stderr) && Date.now() < wait) await new Promise((r) => setTimeout(r, 50))
    } finally {
      await stopChild(server)
    }
    const {result} = JSON.parse(server.output.stdout)
    for (const got of seen) {
      assert.deepEqual(got.map((e) => Number(e.data.split(' ')[1])), [1, 2, 3, 4], 'every broadcast, in order, none twice')
      for (const e of got) {
        assert.equal(e.data.length, 100)
        const delayUs = e.atUs - Number(e.data.split(' ')[2])
        assert.ok(delayUs >= 0 && delayUs < 1_000_000, `a delay of ${delayUs} us`)
      }
    }
    assert.equal(result.broadcast.sent, clients * last, 'the server\'s own count of sends: 4 to each client')
  })
})

describe('c1m probe --target on an SSE server that broadcasts: each engine times what it observes', () => {
  for (const engine of ['native', 'node'] as const) {
    it(`--engine ${engine}: every broadcast during the hold reached all 200 connections, one period apart`, async () => {
      const server = await spawnC1m(['server', '--protocol', 'sse', '--port', '0', '--interval', '1s', '--broadcast-every', '300ms', '--broadcast-size', '64', '--json'], {waitFor: /listening on 127\.0\.0\.1:(\d+) \(/, timeoutMs: 60_000})
      try {
        const conns = 200
        const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `http://127.0.0.1:${server.match[1]}/`, '--http', 'sse', '--server-pid', String(server.child.pid), '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '2s'])
        assertHeld(exitCode, stderr + endNotes(envelope))
        const fanout = envelope.result.hold!.fanout!
        assert.equal(fanout.source.kind, 'observed')
        // The first and the last may fall across the hold's edges; the ones inside reached everyone.
        const inside = fanout.broadcasts.slice(1, -1)
        assert.ok(inside.length >= 3, `about 6 broadcasts in 2 s, got ${fanout.broadcasts.length}`)
        for (const b of inside) assert.equal(b.delivered, conns, `broadcast ${b.seq}`)
        const gaps = inside.slice(1).map((b, i) => (b.sentUs - inside[i].sentUs) / 1000)
        for (const gap of gaps) assert.ok(gap > 280 && gap < 600, `broadcasts ${gaps.join(', ')} ms apart`)
      } finally {
        await stopChild(server)
      }
    })
  }
})
