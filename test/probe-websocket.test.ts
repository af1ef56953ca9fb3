// WebSocket in the native engine: the bundled server and client speak the opening handshake
// (RFC 6455) and echo in frames. Checked against npm's `ws` (a real third-party server and
// client), and against servers that refuse: a 403, and a 101 with a wrong Sec-WebSocket-Accept,
// which must be failures with the answer quoted, never established connections.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {parseTarget} from '../src/core/probe/protocol.js'
import {assertHeld, endNotes, REPO_ROOT, run, runJson} from './helpers.js'
import {startMatching, stopPids} from './server-helpers.js'

const WS = path.join(REPO_ROOT, 'node_modules/ws/index.js')
const children: ChildProcess[] = []
after(async () => stopPids(children.map((c) => c.pid!).filter(Boolean)))

/** startUntil, with the child kept to be stopped after the tests. */
async function startUntil(args: string[], stream: 'stdout' | 'stderr', pattern: RegExp): Promise<{child: ChildProcess; match: RegExpExecArray}> {
  const started = await startMatching(args, stream, pattern)
  children.push(started.child)
  return started
}

/** A Node server started for a test: its port (from its line "port N") and PID. */
async function start(code: string): Promise<{port: number; pid: number; child: ChildProcess}> {
  const {child, match} = await startUntil(['-e', code], 'stdout', /^port (\d+)$/m)
  return {port: Number(match[1]), pid: child.pid!, child}
}

/** npm ws echo server; on stdin "count" it prints the upgrades, messages and payload bytes it has seen. */
const WS_ECHO = `
const {WebSocketServer} = require(${JSON.stringify(WS)})
let upgrades = 0, messages = 0, bytes = 0
const wss = new WebSocketServer({host: '127.0.0.1', port: 0, perMessageDeflate: false})
wss.on('connection', (ws) => {
  upgrades++
  ws.on('message', (data, isBinary) => { messages++; bytes += data.length; ws.send(data, {binary: isBinary}) })
})
wss.on('listening', () => console.log('port ' + wss.address().port))
process.stdin.on('data', () => console.log('upgrades ' + upgrades + '\\nmessages ' + messages + ' bytes ' + bytes))`

/** Ask the WS_ECHO server for its counts. */
async function serverCounts(child: ChildProcess): Promise<{upgrades: number; messages: number; bytes: number}> {
  const text = new Promise<string>((resolve) => child.stdout!.on('data', (chunk) => /bytes \d+/.test(String(chunk)) && resolve(String(chunk))))
  child.stdin!.write('count\n')
  const [upgrades, messages, bytes] = (/upgrades (\d+)\nmessages (\d+) bytes (\d+)/.exec(await text) ?? []).slice(1).map(Number)
  return {upgrades, messages, bytes}
}

/** A TCP server that answers the upgrade request with a refusal (403) or a 101 with a wrong accept. */
const refusing = (answer: string) => `
const net = require('node:net')
const server = net.createServer((c) => { c.on('error', () => {}); c.once('data', () => c.write(${JSON.stringify(answer)})) })
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port))`

describe('parseTarget', () => {
  it('reads IP:PORT, tcp://, ws:// and mqtt:// targets, and their TLS schemes', () => {
    assert.deepEqual(parseTarget('127.0.0.1:80'), {host: '127.0.0.1', port: 80, protocol: {kind: 'tcp'}})
    assert.deepEqual(parseTarget('tcp://10.0.0.1:9000'), {host: '10.0.0.1', port: 9000, protocol: {kind: 'tcp'}})
    assert.deepEqual(parseTarget('ws://127.0.0.1:8080'), {host: '127.0.0.1', port: 8080, protocol: {kind: 'ws', path: '/', host: '127.0.0.1:8080'}})
    assert.deepEqual(parseTarget('WS://127.0.0.1:8080/chat?room=1').protocol, {kind: 'ws', path: '/chat?room=1', host: '127.0.0.1:8080'})
    assert.deepEqual(parseTarget('wss://127.0.0.1:443/live').protocol, {kind: 'ws', path: '/live', host: '127.0.0.1:443', tls: {insecure: false}})
    assert.deepEqual(parseTarget('tls://127.0.0.1:443').protocol, {kind: 'tcp', tls: {insecure: false}})
    assert.deepEqual(parseTarget('mqtts://127.0.0.1:8883').protocol, {kind: 'mqtt', tls: {insecure: false}})
    assert.deepEqual(parseTarget('https://127.0.0.1:443/e', undefined, 'sse').protocol, {kind: 'sse', path: '/e', host: '127.0.0.1:443', tls: {insecure: false}})
    assert.throws(() => parseTarget('ws://127.0.0.1:80/a b'), /printable ASCII without spaces/)
    assert.deepEqual(parseTarget('mqtt://127.0.0.1:1883'), {host: '127.0.0.1', port: 1883, protocol: {kind: 'mqtt'}})
    assert.throws(() => parseTarget('mqtt://127.0.0.1:1883/topic'), /a mqtt:\/\/ target has no path/)
    assert.throws(() => parseTarget('gopher://127.0.0.1:70'), /unknown scheme "gopher"/)
    assert.throws(() => parseTarget('ws://example.com:80/'), /IPv4:PORT/)
  })
})

describe('c1m probe over WebSocket', () => {
  it('--protocol ws: the bundled server upgrades every connection and echoes frames byte for byte', async () => {
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--protocol', 'ws', '--conns', '3000', '--steps', '2', '--settle', '100ms'])
    assertHeld(exitCode, stderr + endNotes(envelope))
    assert.equal(envelope.result.protocol, 'ws')
    assert.equal(envelope.result.echo?.echoed, 3000)
    assert.equal(envelope.result.refused, undefined)
  })

  it("against npm's ws: every connection upgraded (the server counts them) and echoed", async () => {
    const server = await start(WS_ECHO)
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--target', `ws://127.0.0.1:${server.port}/chat`, '--server-pid', String(server.pid), '--conns', '2000', '--steps', '2', '--settle', '200ms'])
    assertHeld(exitCode, stderr + endNotes(envelope))
    assert.equal(envelope.result.protocol, 'ws')
    assert.equal(envelope.result.echo?.echoed, 2000)
    assert.equal((await serverCounts(server.child)).upgrades, 2000, 'the server saw exactly 2,000 upgrades')
  })

  it('--message-size with the bundled server: text frames each --interval, every payload byte echoed, none counted as pushed', async () => {
    const conns = 2000
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--protocol', 'ws', '--conns', String(conns), '--steps', '2', '--settle', '50ms', '--hold', '1500ms', '--message-size', '1KiB', '--interval', '100ms'])
    assertHeld(exitCode, stderr + endNotes(envelope))
    const hold = envelope.result.hold!
    assert.deepEqual([hold.serverOpen, hold.clientOpen, hold.dropped, hold.echo?.echoed], [conns, conns, 0, conns])
    const t = hold.traffic!
    assert.ok(t.rounds >= 10, `${t.rounds} rounds`)
    assert.equal(t.bytesSent, t.rounds * 1024 * conns, 'every frame written whole')
    assert.equal(t.bytesReceived, t.bytesSent, 'every payload byte came back')
    assert.equal(t.writeFailed, 0)
    assert.equal(hold.messagesReceived!.events, 0, 'the echoes of traffic are not messages the server pushed')
  })

  it('--message-size 64KiB: frames with the 64-bit length, echoed whole', async () => {
    const conns = 100
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--protocol', 'ws', '--conns', String(conns), '--steps', '2', '--settle', '50ms', '--hold', '1s', '--message-size', '64KiB', '--interval', '300ms'])
    assertHeld(exitCode, stderr + endNotes(envelope))
    const t = envelope.result.hold!.traffic!
    assert.equal(t.bytesSent, t.rounds * 65_536 * conns)
    assert.equal(t.bytesReceived, t.bytesSent)
  })

  for (const engine of ['native', 'node']) {
    it(`--engine ${engine}: --message-size against npm's ws: the server got every frame and payload byte c1m says it sent`, async () => {
      const server = await start(WS_ECHO)
      const before = await serverCounts(server.child)
      const conns = 500
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '1s', '--message-size', '4KiB', '--interval', '200ms'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const t = envelope.result.hold!.traffic!
      assert.equal(t.bytesReceived, t.bytesSent)
      const after = await serverCounts(server.child)
      // Besides the traffic, two echo checks of 16 bytes: after the ramp and after the hold.
      assert.equal(after.messages - before.messages, t.rounds * conns + 2 * conns)
      assert.equal(after.bytes - before.bytes, t.bytesSent + 2 * 16 * conns)
    })
  }

  for (const [name, answer, quoted, engine] of [
    ['a 403', 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n', /HTTP\/1\.1 403 Forbidden/, 'native'],
    ['a 101 with a wrong Sec-WebSocket-Accept', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n', /HTTP\/1\.1 101 Switching Protocols/, 'native'],
    ['a 403', 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n', /HTTP\/1\.1 403 Forbidden/, 'node'],
    ['a 101 with a wrong Sec-WebSocket-Accept', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n', /HTTP\/1\.1 101 Switching Protocols/, 'node'],
  ] as const) {
    it(`--engine ${engine} counts ${name} as a refusal, the answer quoted, never as an established connection (exit 10)`, async () => {
      const server = await start(refusing(answer))
      const {envelope, exitCode} = await runJson(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--conns', '200', '--steps', '2'])
      assert.equal(exitCode, 10)
      assert.equal(envelope.error?.code, 'E_PROBE_FAILED')
      assert.match(envelope.error!.message, /the server refused \d+ connections: it answered the WebSocket upgrade with /)
      assert.match(envelope.error!.message, quoted)
      assert.match(envelope.error!.suggestion!, /upgrades WebSocket requests/)
    })
  }

  it('refuses ws with the node engine\'s bundled server, --message-size where it cannot be echoed, and --protocol with --target, in one line', async () => {
    for (const [args, message] of [
      [['--protocol', 'ws', '--engine', 'node'], /the node engine's bundled server speaks raw TCP only/],
      [['--protocol', 'sse', '--hold', '5s', '--message-size', '64'], /--message-size is echo traffic \(raw TCP, WebSocket frames, MQTT PUBLISHes\), not for a server that pushes/],
      [['--target', 'ws://127.0.0.1:80/', '--server-pid', '1', '--protocol', 'ws'], /with --target the scheme picks it/],
    ] as const) {
      const {exitCode, stderr} = await run(['probe', ...args])
      assert.equal(exitCode, 2, stderr)
      assert.match(stderr, message)
      assert.equal(stderr.trim().split('\n').length, 1)
    }
  })
})

describe('c1m server --protocol ws with c1m client and with npm ws', () => {
  it('serves upgrades to the bundled client and to a ws client, echoing frames', async () => {
    const {match} = await startUntil([path.join(REPO_ROOT, 'bin/run.js'), 'server', '--protocol', 'ws', '--port', '0', '--interval', '1s'], 'stderr', /listening on 127\.0\.0\.1:(\d+)/)
    const port = Number(match[1])
    const {envelope, exitCode, stderr} = await runJson<{established: number; echo: {echoed: number}}>(['client', '--target', `ws://127.0.0.1:${port}/`, '--conns', '1000', '--steps', '2'])
    assert.equal(exitCode, 0, stderr)
    assert.deepEqual([envelope.result.established, envelope.result.echo.echoed], [1000, 1000])
    const reply = await new Promise<string>((resolve, reject) => {
      const script = `const W=require(${JSON.stringify(WS)});const w=new W('ws://127.0.0.1:${port}/x');w.on('open',()=>w.send('hello from ws'));w.on('message',(m)=>{console.log(String(m));w.close()});w.on('error',(e)=>{console.error(e.message);process.exit(1)})`
      const node = spawn(process.execPath, ['-e', script], {stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000})
      let out = ''
      node.stdout.on('data', (c) => (out += c))
      node.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`ws client exited ${code}`))))
    })
    assert.equal(reply, 'hello from ws', 'npm ws checked our Sec-WebSocket-Accept and got its message back')
  })
})
