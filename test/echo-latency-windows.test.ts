// Echo latency against time, checked against a WebSocket server (npm's ws) whose timing the test
// sets: it echoes traffic at once for the first SLOW_AFTER_MS after the first traffic message it
// receives, then holds every echo DELAY_MS, and it counts the echoes it sent. The windows of
// hold.traffic.latencySeries that end before the switch must show p50 under DELAY_MS, those that
// begin after it p50 at least DELAY_MS; their messages add up to the server's echoes and their
// lost to the run's. The probe's HTML draws the chart. Both engines, probe and client.
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {LatencyWindow} from '../src/core/probe/latency-series.js'
import type {ProbeRunReport, TrafficShape, TrafficTotals} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, REPO_ROOT, runJson} from './helpers.js'
import {askLine, scratch, startMatching, stopPids} from './server-helpers.js'

const WS = path.join(REPO_ROOT, 'node_modules/ws/index.js')
const SIZE = 100
const DELAY_MS = 150
const SLOW_AFTER_MS = 4000
/** Windows this far from the switch (seconds) may hold echoes of both sides: not checked. */
const MARGIN_S = 0.5
const children: ChildProcess[] = []
after(async () => stopPids(children.map((c) => c.pid!).filter(Boolean)))
const {dir} = scratch('c1m-latency-windows-')

/**
 * npm ws echo server: a SIZE-byte message (traffic) is echoed at once until SLOW_AFTER_MS after the
 * first one arrived, then DELAY_MS after it arrives; anything else (the echo check) at once. On
 * stdin it prints one JSON line: traffic messages received, echoes sent.
 */
const switchingEcho = `
const {WebSocketServer} = require(${JSON.stringify(WS)})
let received = 0, echoed = 0, first
const wss = new WebSocketServer({host: '127.0.0.1', port: 0, perMessageDeflate: false})
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (data.length !== ${SIZE}) return ws.send(data, {binary: isBinary})
    received++
    const now = performance.now()
    if (first === undefined) first = now
    const answer = () => { if (ws.readyState === 1) { echoed++; ws.send(data, {binary: isBinary}) } }
    if (now - first >= ${SLOW_AFTER_MS}) setTimeout(answer, ${DELAY_MS}); else answer()
  })
})
wss.on('listening', () => console.log('port ' + wss.address().port))
process.stdin.on('data', () => process.stdout.write(JSON.stringify({received, echoed}) + '\\n'))`

async function startServer(): Promise<{port: number; pid: number; counts: () => Promise<{received: number; echoed: number}>}> {
  const {child, match} = await startMatching(['-e', switchingEcho], 'stdout', /^port (\d+)$/m)
  children.push(child)
  const counts = () => askLine<{received: number; echoed: number}>(child, 'count')
  return {port: Number(match[1]), pid: child.pid!, counts}
}

/** The series against the server's own counts and the switch it made. */
function checkSeries(t: TrafficShape & TrafficTotals, counts: {received: number; echoed: number}): void {
  const series: LatencyWindow[] = t.latencySeries ?? []
  const l = t.latency!
  const said = series.map((w) => `${w.atSeconds}s:${w.messages}@p50 ${w.p50Ms}`).join(' ')
  // An 8 s hold: a window a second, and the last one after the traffic stopped.
  assert.ok(series.length >= 7 && series.length <= 12, `${series.length} windows: ${said}`)
  const sum = (key: 'messages' | 'lost') => series.reduce((total, w) => total + w[key], 0)
  assert.equal(sum('messages'), counts.echoed, `the windows' messages against the server's ${counts.echoed} echoes: ${said}`)
  assert.equal(sum('messages'), l.count, 'the windows add up to the whole run')
  assert.equal(sum('lost'), l.lost)
  assert.equal(l.count + l.lost, counts.received)
  const startOf = (i: number) => (i === 0 ? 0 : series[i - 1].atSeconds)
  const switchAt = SLOW_AFTER_MS / 1000
  const before = series.filter((w, i) => w.messages > 0 && w.atSeconds <= switchAt - MARGIN_S && startOf(i) >= 0)
  const afterSwitch = series.filter((w, i) => w.messages > 0 && startOf(i) >= switchAt + MARGIN_S)
  assert.ok(before.length >= 2, `windows before the switch: ${said}`)
  assert.ok(afterSwitch.length >= 2, `windows after the switch: ${said}`)
  for (const w of before) assert.ok(w.p50Ms < DELAY_MS, `a window before the switch: p50 ${w.p50Ms} ms at ${w.atSeconds} s: ${said}`)
  for (const w of afterSwitch) assert.ok(w.p50Ms >= DELAY_MS, `a window after the switch: p50 ${w.p50Ms} ms at ${w.atSeconds} s: ${said}`)
  for (const w of series) assert.ok(w.p50Ms <= w.p90Ms && w.p90Ms <= w.p99Ms && w.p99Ms <= w.p999Ms && w.p999Ms <= w.maxMs, JSON.stringify(w))
  // The whole run's summary is what it always was: over every echo, so at least the worst window's.
  assert.ok(l.max >= Math.max(...series.map((w) => w.maxMs)))
}

const traffic = ['--no-ws-deflate', '--conns', '50', '--hold', '8s', '--message-size', String(SIZE), '--rate', '100/s']

for (const engine of ['native', 'node'] as const) {
  describe(`echo latency against time, --engine ${engine}`, () => {
    it(`c1m probe: windows before the server's switch under ${DELAY_MS} ms, after it at least that; the HTML draws them`, async () => {
      const server = await startServer()
      const html = path.join(dir, `latency-${engine}.html`)
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--steps', '2', '--settle', '100ms', ...traffic, '--html', html])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const t = envelope.result.hold!.traffic!
      checkSeries(t, await server.counts())
      const page = readFileSync(html, 'utf8')
      const start = page.indexOf('data-panel="latency-time"')
      assert.ok(start > 0, 'the HTML has the latency chart')
      const chart = page.slice(start, page.indexOf('</svg>', start))
      const lines = [...chart.matchAll(/<polyline class="measured" data-series="([^"]+)"[^>]*points="([^"]+)"/g)]
      assert.deepEqual(lines.map((m) => m[1]), ['p50 of each window', 'p90 of each window', 'p99 of each window', 'p99.9 of each window', 'max of each window'])
      const timed = t.latencySeries!.filter((w) => w.messages > 0).length
      for (const [, , points] of lines) assert.equal(points.split(' ').length, timed, 'a point for each window with an echo')
    })

    it(`c1m client: the same series in its traffic`, async () => {
      const server = await startServer()
      const {envelope, exitCode, stderr} = await runJson<{traffic: TrafficShape & TrafficTotals}>(['client', '--engine', engine, '--target', `ws://127.0.0.1:${server.port}/`, '--steps', '1', ...traffic])
      assert.equal(exitCode, 0, stderr)
      checkSeries(envelope.result.traffic, await server.counts())
    })
  })
}
