// permessage-deflate as browsers use it, against npm's ws with compression on (threshold 0: every
// message compressed). By default a --target WebSocket is offered the extension; what the server
// compresses is inflated, so the echo is compared byte for byte and pushed bytes are counted
// uncompressed. The server's own count of the connections that negotiated it is the test's reading.
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'
import path from 'node:path'

import {DEFLATE_OFFER} from '../src/core/probe/protocol.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, REPO_ROOT, runJson} from './helpers.js'
import {startNodeServer, stopPids} from './server-helpers.js'

const WS = path.join(REPO_ROOT, 'node_modules/ws/index.js')
const PUSH = 10_000
const pids: number[] = []
after(() => stopPids(pids))

// Echoes every message; pushes PUSH bytes of text to every connection each 400 ms; GET /stats
// says how many connections negotiated permessage-deflate.
const COMPRESSING = `
const http = require('node:http')
const {WebSocketServer} = require(${JSON.stringify(WS)})
const server = http.createServer((req, res) => {
  const all = [...wss.clients]
  res.end(JSON.stringify({connections: all.length, deflate: all.filter((c) => /permessage-deflate/.test(c.extensions)).length}))
})
const wss = new WebSocketServer({server, perMessageDeflate: {threshold: 0}})
wss.on('connection', (s) => s.on('message', (data, isBinary) => s.send(data, {binary: isBinary})))
const push = 'p'.repeat(${PUSH})
setInterval(() => { for (const c of wss.clients) c.send(push) }, 400)
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port))`

// Accepts the upgrade with permessage-deflate, then sends a text frame marked compressed whose
// payload is no deflate stream.
const CORRUPT = `
const net = require('node:net')
const crypto = require('node:crypto')
const s = net.createServer((c) => c.on('error', () => {}).once('data', (d) => {
  const key = /Sec-WebSocket-Key: (.*)\\r\\n/i.exec(d.toString())[1]
  const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')
  c.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + accept + '\\r\\nSec-WebSocket-Extensions: permessage-deflate\\r\\n\\r\\n')
  c.write(Buffer.from([0xc1, 4, 0xff, 0xff, 0xff, 0xff]))
}))
s.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port))`

async function start(code: string): Promise<{port: number; pid: number}> {
  const server = await startNodeServer(code)
  pids.push(server.pid)
  return server
}

const stats = async (port: number) => (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as {connections: number; deflate: number}

async function probe(port: number, pid: number, extra: string[]): Promise<ProbeRunReport> {
  const args = ['probe', '--target', `ws://127.0.0.1:${port}/`, '--server-pid', String(pid), '--conns', '300', '--steps', '2', '--settle', '200ms', ...extra]
  const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(args, {timeout: 120_000})
  assertHeld(exitCode, stderr + endNotes(envelope))
  return envelope.result
}

describe('permessage-deflate offered by default, and inflated', () => {
  for (const engine of ['native', 'node']) {
    it(`--engine ${engine}: offered as browsers offer it, accepted on every connection by the server's count, echo compared inflated, pushes counted uncompressed`, async () => {
      const server = await start(COMPRESSING)
      const report = await probe(server.port, server.pid, ['--engine', engine, '--hold', '2s'])
      const compression = report.compression
      assert.ok(compression?.offered === 'permessage-deflate', JSON.stringify(compression))
      assert.equal(compression.offer, DEFLATE_OFFER)
      assert.equal(compression.acceptedConnections, 300)
      assert.match(compression.response ?? '', /^permessage-deflate/)
      assert.equal(report.echo?.echoed, 300)
      assert.equal(report.echo?.compressed, 300, 'every echo came compressed and matched once inflated')
      const pushed = report.hold!.messagesReceived!
      assert.ok(pushed.events >= 300, `${pushed.events} pushed messages during the hold`)
      assert.equal(pushed.bytes, pushed.events * PUSH, 'each pushed message counted at its uncompressed size')
    })
  }

  it("the server's own count: every held connection negotiated permessage-deflate", async () => {
    const server = await start(COMPRESSING)
    const args = ['probe', '--target', `ws://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--conns', '200', '--steps', '2', '--settle', '200ms', '--hold', '4s']
    const run = runJson<ProbeRunReport>(args, {timeout: 120_000})
    let seen = {connections: 0, deflate: 0}
    const until = Date.now() + 60_000
    while (seen.connections < 200 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      seen = await stats(server.port)
    }
    const {envelope, exitCode, stderr} = await run
    assertHeld(exitCode, stderr + endNotes(envelope))
    assert.deepEqual(seen, {connections: 200, deflate: 200})
  })

  it('--no-ws-deflate offers nothing: the server negotiated it on no connection, and the report says why', async () => {
    const server = await start(COMPRESSING)
    const report = await probe(server.port, server.pid, ['--no-ws-deflate', '--hold', '1s'])
    assert.deepEqual(report.compression, {offered: 'none', why: '--no-ws-deflate'})
    assert.equal(report.echo?.compressed ?? 0, 0)
    const pushed = report.hold!.messagesReceived!
    assert.equal(pushed.bytes, pushed.events * PUSH)
  })

  for (const engine of ['native', 'node']) {
    it(`--engine ${engine}: a compressed message that does not inflate is a refusal that says so (exit 10)`, async () => {
      const server = await start(CORRUPT)
      const {envelope, exitCode} = await runJson(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--conns', '50', '--steps', '2'], {timeout: 120_000})
      assert.equal(exitCode, 10)
      assert.match(envelope.error!.message, /permessage-deflate: a message that does not inflate/)
    })
  }

  it('--ws-deflate and --no-ws-deflate are for a WebSocket target only (exit 2)', async () => {
    for (const flag of ['--ws-deflate', '--no-ws-deflate']) {
      const {envelope, exitCode} = await runJson(['probe', '--target', 'mqtt://127.0.0.1:1883', '--server-pid', '1', flag])
      assert.equal(exitCode, 2)
      assert.match(envelope.error!.message, new RegExp(`${flag} is for a ws:// or wss:// target`))
    }
  })
})
