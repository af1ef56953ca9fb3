// The echo latency of --message-size traffic, checked against a WebSocket server (npm's ws) whose
// timing the test knows: it holds every echo of traffic for a known delay and counts what it
// echoed, and it notes when each message arrived. c1m's p50 must be at least the delay, its count
// of latencies the server's count of echoes; a client stopped for 400 ms (SIGSTOP) must show the
// stall in its maximum, though the server answered at once (each message is timed from when it
// was due, not from when the late client wrote it); and --rate must reach the server spread out,
// never in rounds. Both engines.
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'

import type {ProbeRunReport, TrafficShape, TrafficTotals} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, type Envelope, REPO_ROOT, runJson} from './helpers.js'
import {askLine, childPids, startMatching, stopPids} from './server-helpers.js'
import {exitWithin, spawnC1m} from './spawn-c1m.js'

const WS = path.join(REPO_ROOT, 'node_modules/ws/index.js')
const SIZE = 100
const children: ChildProcess[] = []
after(async () => stopPids(children.map((c) => c.pid!).filter(Boolean)))

/**
 * npm ws echo server: a message of SIZE bytes (traffic) is echoed after delayMs, anything else (the
 * 16-byte echo check) at once. On stdin "count" it prints one JSON line: the traffic messages it
 * received and echoed, and when each arrived (ms, its own clock).
 */
const delayedEcho = (delayMs: number) => `
const {WebSocketServer} = require(${JSON.stringify(WS)})
let received = 0, echoed = 0
const arrivals = []
const wss = new WebSocketServer({host: '127.0.0.1', port: 0, perMessageDeflate: false})
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (data.length !== ${SIZE}) return ws.send(data, {binary: isBinary})
    received++
    arrivals.push(Math.round(performance.now() * 10) / 10)
    const answer = () => { if (ws.readyState === 1) { echoed++; ws.send(data, {binary: isBinary}) } }
    if (${delayMs} > 0) setTimeout(answer, ${delayMs}); else answer()
  })
})
wss.on('listening', () => console.log('port ' + wss.address().port))
process.stdin.on('data', () => process.stdout.write(JSON.stringify({received, echoed, arrivals}) + '\\n'))`

interface ServerCounts {
  received: number
  echoed: number
  arrivals: number[]
}

async function startServer(delayMs: number): Promise<{port: number; pid: number; counts: () => Promise<ServerCounts>}> {
  const {child, match} = await startMatching(['-e', delayedEcho(delayMs)], 'stdout', /^port (\d+)$/m)
  children.push(child)
  const counts = () => askLine<ServerCounts>(child, 'count')
  return {port: Number(match[1]), pid: child.pid!, counts}
}

/** Descendants of pid (depth first), from /proc. */
function descendants(pid: number): number[] {
  return childPids(pid).flatMap((child) => [child, ...descendants(child)])
}

/** The probe's load clients under pid (the native echo-client or node's echo-client.mjs). */
function loadClients(pid: number): number[] {
  return descendants(pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('echo-client')
    } catch {
      return false
    }
  })
}

for (const engine of ['native', 'node'] as const) {
  describe(`echo latency under traffic, --engine ${engine}`, () => {
    it('a server that holds each echo 40 ms: p50 at least 40 ms and not far above; one latency per echo the server sent', async () => {
      const delay = 40
      const server = await startServer(delay)
      const conns = 200
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--no-ws-deflate', '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '2s', '--message-size', String(SIZE), '--interval', '250ms'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const t = envelope.result.hold!.traffic!
      const l = t.latency!
      const counts = await server.counts()
      assert.ok(counts.echoed >= 2 * conns, `the server echoed ${counts.echoed} messages`)
      assert.equal(l.count, counts.echoed, "one latency for each echo the server sent")
      assert.equal(l.count + l.lost, counts.received, 'every message the server received was timed or counted lost')
      assert.equal(l.lost, 0)
      assert.equal(t.bytesSent, counts.received * SIZE)
      assert.ok(l.p50 >= delay, `p50 ${l.p50} ms is below the server's own ${delay} ms delay`)
      // A round of 200 writes and the echoes' reads on a busy 2-core host: well under 250 ms more.
      assert.ok(l.p50 < delay + 250, `p50 ${l.p50} ms`)
      assert.ok(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, JSON.stringify(l))
    })

    it('a client stopped 400 ms (SIGSTOP) with --rate: the maximum holds the stall, though the server answered at once', async () => {
      const server = await startServer(0)
      const conns = 100
      const probe = await spawnC1m(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--no-ws-deflate', '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '3s', '--message-size', String(SIZE), '--rate', '200/s', '--json'], {waitFor: /holding \d+ connections/, timeoutMs: 60_000})
      children.push(probe.child)
      await sleep(1000)
      const clients = loadClients(probe.child.pid!)
      assert.ok(clients.length > 0, 'the probe has load clients')
      for (const pid of clients) process.kill(pid, 'SIGSTOP')
      await sleep(400)
      for (const pid of clients) process.kill(pid, 'SIGCONT')
      const exitCode = await exitWithin(probe, 60_000)
      const envelope = JSON.parse(probe.output.stdout) as Envelope<ProbeRunReport>
      assertHeld(exitCode ?? -1, probe.output.stderr + endNotes(envelope))
      const l = envelope.result.hold!.traffic!.latency!
      const counts = await server.counts()
      // The server's own view: no message arrived for about 400 ms at some point.
      const gaps = counts.arrivals.slice(1).map((t, i) => t - counts.arrivals[i])
      assert.ok(Math.max(...gaps) >= 350, `the server saw a longest gap of ${Math.max(...gaps)} ms`)
      assert.ok(l.max >= 350, `max ${l.max} ms: the stall is hidden`)
      // About 80 messages fell due during the stall, 40 of them 200 ms or more before the client
      // woke: over 1% of some 600. Timed from their writes, only the one or two in flight would be.
      assert.ok(l.p99 >= 200, `p99 ${l.p99} ms: the messages due during the stall were timed from their late writes`)
      assert.equal(l.count, counts.echoed)
    })

    it('--rate 400/s over 200 connections reaches the server spread out: never a round of all at once', async () => {
      const server = await startServer(0)
      const conns = 200
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--no-ws-deflate', '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '3s', '--message-size', String(SIZE), '--rate', '400/s'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const t = envelope.result.hold!.traffic!
      assert.equal(t.rate, 400)
      const counts = await server.counts()
      assert.equal(t.latency!.count, counts.echoed)
      const first = counts.arrivals[0]
      const span = counts.arrivals.at(-1)! - first
      // About 400 a second over the hold (timers fire late on a busy host: no more, and not much fewer).
      const perSecond = counts.received / (span / 1000)
      assert.ok(perSecond > 300 && perSecond < 480, `${counts.received} messages over ${span} ms: ${perSecond.toFixed(0)}/s`)
      // 40 per 100 ms when even; rounds would put all 200 in one window and leave the others empty.
      // A client the busy host stops for a moment catches up at once, so one window may hold more.
      const windows = Array.from({length: Math.floor(span / 100)}, () => 0)
      for (const at of counts.arrivals) {
        const w = Math.floor((at - first) / 100)
        if (w < windows.length) windows[w]++
      }
      const median = [...windows].sort((a, b) => a - b)[Math.floor(windows.length / 2)]
      assert.ok(median >= 25 && median <= 60, `${median} messages in the median 100 ms window: ${windows.join(' ')}`)
      assert.ok(Math.max(...windows) < conns, `${Math.max(...windows)} messages in one 100 ms window: ${windows.join(' ')}`)
      assert.ok(windows.filter((n) => n > 0).length >= windows.length * 0.9, `empty windows: ${windows.join(' ')}`)
    })
  })
}

describe('c1m client --message-size --rate', () => {
  for (const engine of ['native', 'node'] as const) {
    it(`--engine ${engine}: one latency per echo the server sent, p50 at least its 40 ms delay, at the rate asked`, async () => {
      const server = await startServer(40)
      const {envelope, exitCode, stderr} = await runJson<{traffic: TrafficShape & TrafficTotals}>(['client', '--engine', engine, '--target', `ws://127.0.0.1:${server.port}/`, '--no-ws-deflate', '--conns', '100', '--steps', '1', '--hold', '2s', '--message-size', String(SIZE), '--rate', '6000/1m'])
      assert.equal(exitCode, 0, stderr)
      const t = envelope.result.traffic
      const counts = await server.counts()
      assert.equal(t.rate, 100)
      assert.equal(t.latency!.count, counts.echoed)
      assert.equal(t.latency!.count + t.latency!.lost, counts.received)
      assert.ok(counts.received >= 150 && counts.received <= 210, `${counts.received} messages in a 2 s hold at 100/s`)
      assert.ok(t.latency!.p50 >= 40 && t.latency!.p50 < 290, `p50 ${t.latency!.p50} ms`)
    })
  }
})
