// c1m's per-connection server figure against an independent one the test reads itself: the server
// tree's RSS from /proc one second into the hold, minus before, over N (test/independent-rss.ts).
// Real servers: npm ws idle, npm ws with permessage-deflate after one message each, a Node SSE
// server, and Debian's mosquitto. (nginx's TLS listener is in probe-tls.test.ts.) Each must agree
// within 10%. A Node server's heap keeps the garbage an echo leaves until it collects, so the ws
// idle case runs with --no-echo: its figure is for idle upgraded connections.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {DEFLATE_OFFER} from '../src/core/probe/protocol.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, REPO_ROOT} from './helpers.js'
import {probeWithIndependentRss} from './independent-rss.js'
import {findProgram, freePort, startNodeServer, scratch, waitForPort} from './server-helpers.js'

const WS = path.join(REPO_ROOT, 'node_modules/ws/index.js')
const {dir, pids} = scratch('c1m-rss-')

async function startNode(code: string): Promise<{port: number; pid: number}> {
  const server = await startNodeServer(code)
  pids.push(server.pid)
  return server
}

const wsServer = (deflate: boolean) => `
const {WebSocketServer} = require(${JSON.stringify(WS)})
const wss = new WebSocketServer({host: '127.0.0.1', port: 0, perMessageDeflate: ${deflate}})
wss.on('connection', (s) => s.on('message', (data, isBinary) => s.send(data, {binary: isBinary})))
wss.on('listening', () => console.log('port ' + wss.address().port))`

/** Probe, and check c1m's figure against the independent one; returns c1m's report. */
async function agree(target: string, pid: number, conns: number, extra: string[]): Promise<ProbeRunReport> {
  const {envelope, exitCode, stderr, independentPerConn} = await probeWithIndependentRss<ProbeRunReport>(['--target', target, '--server-pid', String(pid), '--steps', '3', '--settle', '300ms', ...extra], pid, conns)
  assertHeld(exitCode, stderr + endNotes(envelope))
  const c1m = envelope.result.fit.server.bytesPerConn
  const ratio = c1m / independentPerConn
  assert.ok(ratio > 0.9 && ratio < 1.1, `c1m ${Math.round(c1m)} B, /proc ${Math.round(independentPerConn)} B per connection (ratio ${ratio.toFixed(3)})`)
  return envelope.result
}

describe("c1m's server figure agrees with /proc within 10%", () => {
  let idleWs = 0
  it('npm ws, idle upgraded connections', async () => {
    const server = await startNode(wsServer(false))
    idleWs = (await agree(`ws://127.0.0.1:${server.port}/`, server.pid, 3000, ['--no-echo'])).fit.server.bytesPerConn
  })

  it('npm ws with permessage-deflate, after one message on each connection (--ws-deflate --echo-each-step)', async () => {
    const server = await startNode(wsServer(true))
    const report = await agree(`ws://127.0.0.1:${server.port}/`, server.pid, 1500, ['--ws-deflate', '--echo-each-step'])
    assert.deepEqual(report.compression, {offered: 'permessage-deflate', offer: DEFLATE_OFFER, acceptedConnections: 1500, response: 'permessage-deflate'})
    // The compressor made on the first message is what makes deflate costly.
    assert.ok(report.fit.server.bytesPerConn > 10 * idleWs, `${report.fit.server.bytesPerConn} B with deflate against ${idleWs} B idle`)
  })

  it('a Node Server-Sent Events server', async () => {
    const server = await startNode(`
const http = require('node:http')
const s = http.createServer((req, res) => { res.writeHead(200, {'Content-Type': 'text/event-stream'}); res.write('data: hi\\n\\n') })
s.requestTimeout = 0; s.headersTimeout = 0
s.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port))`)
    await agree(`http://127.0.0.1:${server.port}/events`, server.pid, 3000, ['--http', 'sse'])
  })

  const mosquitto = findProgram('mosquitto')
  it('mosquitto', {skip: mosquitto || process.env.CI ? false : 'mosquitto is not installed (.ci/run installs it)'}, async () => {
    const port = await freePort()
    const conf = path.join(dir, 'mosquitto.conf')
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\npersistence false\nuser root\nlog_dest none\n`)
    const broker = spawn(mosquitto!, ['-c', conf], {stdio: 'ignore'})
    pids.push(broker.pid!)
    await waitForPort(port)
    await agree(`mqtt://127.0.0.1:${port}`, broker.pid!, 3000, [])
  })
})
