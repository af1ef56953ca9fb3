// What a WebSocket server does on its own once connections are open, against npm ws: a greeting
// right after the 101, pings (each answered with a pong the server counts), frames pushed during
// --hold (counted as hold.messagesReceived), and a close frame with a code (counted by code, and
// the connections are dropped, so the run fails).
import assert from 'node:assert/strict'
import {mkdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, REPO_ROOT, runJson} from './helpers.js'
import {startNodeServer, stopPids} from './server-helpers.js'
import {eventually} from './spawn-c1m.js'

const WS = path.join(REPO_ROOT, 'node_modules/ws/index.js')
const pids: number[] = []
/** Where the servers write how many pongs they got, and pings and ticks they sent (every 200 ms). */
const COUNTS = path.join(REPO_ROOT, 'dist/test-cache')
after(async () => stopPids(pids))

/**
 * npm ws: greets, pings and pushes a frame every 400 ms; after closeAfterMs (if given) closes with
 * 4001, or with terminate drops the TCP connection with no close frame.
 */
const server = (closeAfterMs: number, terminate = false) => `
const {WebSocketServer} = require(${JSON.stringify(WS)})
const fs = require('node:fs')
let pongs = 0, pings = 0, ticks = 0
const wss = new WebSocketServer({host: '127.0.0.1', port: 0, perMessageDeflate: false})
wss.on('connection', (ws) => {
  ws.send('welcome')
  ws.on('pong', () => { pongs++ })
  ws.on('message', (data, isBinary) => ws.send(data, {binary: isBinary}))
  const timer = setInterval(() => { ws.ping('p'); pings++; ws.send('tick'); ticks++ }, 400)
  ws.on('close', () => clearInterval(timer))
  if (${closeAfterMs} > 0) setTimeout(() => ${terminate} ? ws.terminate() : ws.close(4001, 'bye'), ${closeAfterMs})
})
wss.on('listening', () => console.log('port ' + wss.address().port))
setInterval(() => fs.writeFileSync(${JSON.stringify(COUNTS)} + '/counts-' + process.pid, pongs + ' ' + pings + ' ' + ticks), 200)`

async function start(closeAfterMs: number, terminate = false): Promise<{port: number; pid: number}> {
  mkdirSync(COUNTS, {recursive: true})
  const started = await startNodeServer(server(closeAfterMs, terminate))
  pids.push(started.pid)
  return started
}

// Both engines read frames the same way: the native client in C, the node client in node-protocol.mjs.
for (const engine of ['native', 'node']) {
  describe(`a WebSocket server that talks on its own (npm ws), --engine ${engine}`, () => {
    it('greeting, pings and pushed frames: pings answered, frames counted, every echo still verified', async () => {
      const ws = await start(0)
      const conns = 500
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${ws.port}/`, '--server-pid', String(ws.pid), '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '2s'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const hold = envelope.result.hold!
      assert.equal(envelope.result.echo!.echoed, conns, 'the echo is found among the pushed frames')
      assert.equal(hold.echo!.echoed, conns)
      // A tick and a ping every 400 ms through a 2 s hold: at least one of each per connection (a loaded
      // host fires the server's timer late, so no more is certain), and no more than the server sent.
      const {events, bytes} = hold.messagesReceived!
      assert.ok(events >= conns, `${events} frames`)
      assert.equal(bytes, events * 4, "each 'tick' is 4 bytes")
      assert.ok(hold.pingsAnswered! >= conns, `${hold.pingsAnswered} pings`)
      assert.equal(hold.serverClosed!.connections, 0)
      // The server writes its counts every 200 ms: wait for a write made after the hold.
      await eventually(() => {
        const [pongs, pings, ticks] = readFileSync(path.join(COUNTS, `counts-${ws.pid}`), 'utf8').split(' ').map(Number)
        assert.ok(ticks >= events, `the server sent ${ticks} ticks, c1m counted ${events}`)
        assert.ok(pings >= hold.pingsAnswered!, `the server sent ${pings} pings, c1m says it answered ${hold.pingsAnswered}`)
        assert.ok(pongs >= hold.pingsAnswered!, `the server counted ${pongs} pongs, c1m says it answered ${hold.pingsAnswered} during the hold`)
      }, {timeoutMs: 5000})
    })

    it('a close frame with code 4001 during the hold: counted by code, the connections dropped, exit 10', async () => {
      const ws = await start(2000)
      const conns = 300
      const {envelope, exitCode} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${ws.port}/`, '--server-pid', String(ws.pid), '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '4s', '--no-echo'])
      assert.equal(exitCode, 10)
      const hold = envelope.result.hold!
      assert.deepEqual(hold.serverClosed, {connections: conns, closeCodes: {4001: conns}})
      assert.equal(hold.dropped, conns)
    })

    it('a connection dropped with no close frame: counted as 1006, the code RFC 6455 keeps for it', async () => {
      const ws = await start(2000, true)
      const conns = 200
      const {envelope, exitCode} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${ws.port}/`, '--server-pid', String(ws.pid), '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '4s', '--no-echo'])
      assert.equal(exitCode, 10)
      assert.deepEqual(envelope.result.hold!.serverClosed, {connections: conns, closeCodes: {1006: conns}})
    })
  })
}
