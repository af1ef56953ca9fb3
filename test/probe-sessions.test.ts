// --app generic (issue 23), the sessions framework end to end on both engines, over raw TCP and
// WebSocket, against a real server of the test's own that greets, counts the joins it answered and
// pings every connection: a connection counts only once the server accepted its session, the
// server's count of joins equals c1m's, its pings are answered, and a session never accepted is
// not a connection. The pure parts (flags, engine arguments, the report's options) first.
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import {parseTarget} from '../src/core/probe/protocol.js'
import {describeSessions, sessionArgs, sessionOptions, withSession} from '../src/core/probe/session.js'
import type {ClientRunResult} from '../src/probe/run-client.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, runJson} from './helpers.js'
import {probeWithIndependentRss} from './independent-rss.js'
import {MODULES, startAppServer} from './session-servers.js'
import {stopPids} from './server-helpers.js'

const pids: number[] = []
after(() => stopPids(pids))

describe('--app: flags, engine arguments and the report (pure)', () => {
  const ws = parseTarget('ws://127.0.0.1:9000/').protocol
  const tcp = parseTarget('tcp://127.0.0.1:9000').protocol

  it('a generic flag implies --app generic; regexes go to the engines as -regex flags', () => {
    const shaped = withSession(tcp, {send: ['HI {n}'], expect: '/^OK /', reply: ['PING=>PONG', '/^2$/=>3'], greeting: true})
    assert.equal(shaped.session?.app, 'generic')
    assert.deepEqual(sessionArgs(shaped.session), ['--app', 'generic', '--send', 'HI {n}', '--expect-regex', '^OK ', '--reply', 'PING=>PONG', '--reply-regex', '^2$=>3', '--greeting'])
    assert.deepEqual(sessionArgs(undefined), [])
  })

  it("socketio gets Socket.IO's path when the URL's is /, and --eio 3 asks for Engine.IO 3", () => {
    const shaped = withSession(ws, {app: 'socketio', namespace: '/chat', eio: '3', auth: '{"token":"t"}'})
    assert.equal('path' in shaped && shaped.path, '/socket.io/?EIO=3&transport=websocket')
    assert.deepEqual(sessionArgs(shaped.session), ['--app', 'socketio', '--namespace', '/chat', '--auth', '{"token":"t"}', '--eio', '3'])
    // The secret ones are not in the report.
    assert.deepEqual(sessionOptions(shaped.session!), {namespace: '/chat', eio: 3, auth: '(given)'})
  })

  it('refuses a dialect option of another dialect, a dialect on a protocol it does not live on, and bad JSON (exit 2)', () => {
    assert.throws(() => withSession(ws, {namespace: '/x'}), /--namespace is for --app socketio/)
    assert.throws(() => withSession(ws, {app: 'graphql-ws', namespace: '/x'}), /--namespace is for --app socketio, not --app graphql-ws/)
    assert.throws(() => withSession(tcp, {app: 'socketio'}), /--app socketio lives on WebSocket/)
    assert.throws(() => withSession(parseTarget('mqtt://127.0.0.1:1883').protocol, {app: 'nats'}), /--app nats lives on raw TCP or WebSocket/)
    assert.throws(() => withSession(ws, {app: 'nats', auth: '[1]'}), /--auth must be a JSON object/)
    assert.throws(() => withSession(tcp, {reply: ['no arrow']}), /--reply must be 'MATCH=>ANSWER'/)
    assert.throws(() => withSession(tcp, {expect: '/(/'}), /--expect \/\(\/: not a regular expression/)
  })

  it('says what the sessions did in one line', () => {
    assert.equal(describeSessions({app: 'socketio', options: {}, accepted: 2000, refused: 0, heartbeatsAnswered: 4000, heartbeatsSent: 0}), 'Sessions: socketio, 2,000 joined namespace /, 0 refused, 4,000 heartbeats answered')
  })

  it('the command refuses them in one line with exit 2', async () => {
    const wrong = await runJson(['client', '--target', 'tcp://127.0.0.1:9', '--conns', '1', '--app', 'socketio'])
    assert.equal(wrong.exitCode, 2)
    assert.match(wrong.envelope.error?.message ?? '', /--app socketio lives on WebSocket/)
    const bundled = await runJson(['probe', '--conns', '10', '--app', 'generic'])
    assert.equal(bundled.exitCode, 2)
    assert.match(bundled.envelope.error?.message ?? '', /--app generic is for your own server \(--target\)/)
  })
})

/** A server on raw TCP and WebSocket: greets, answers "join X" with "joined X", pings every pingMs. */
const greeter = (pingMs = 400, deflate = false) => `
const DEFLATE = ${deflate ? '{threshold: 0}' : 'false'}
const net = require('node:net')
const {WebSocketServer} = require(${JSON.stringify(`${MODULES}/ws`)})
const n = {joined: 0, pongs: 0, open: 0, state: []}
function session(send, onClose) {
  n.open++
  const keep = Buffer.alloc(2048, 1)
  n.state.push(keep)
  send('hello')
  const timer = setInterval(() => send('ping'), ${pingMs})
  onClose(() => { n.open--; clearInterval(timer); n.state.splice(n.state.indexOf(keep), 1) })
  return (text) => {
    if (text.startsWith('join ')) { n.joined++; send('joined ' + text.slice(5)) }
    else if (text === 'pong') n.pongs++
  }
}
const tcp = net.createServer((s) => {
  s.on('error', () => {})
  const on = session((t) => s.write(t + '\\r\\n'), (f) => s.on('close', f))
  let rest = ''
  s.on('data', (d) => { rest += d; let i; while ((i = rest.indexOf('\\n')) >= 0) { on(rest.slice(0, i).replace(/\\r$/, '')); rest = rest.slice(i + 1) } })
})
const wss = new WebSocketServer({host: '127.0.0.1', port: 0, perMessageDeflate: DEFLATE})
wss.on('connection', (s) => { s.on('error', () => {}); const on = session((t) => s.send(t), (f) => s.on('close', f)); s.on('message', (d) => on(String(d))) })
const counts = () => ({joined: n.joined, pongs: n.pongs, open: n.open})
let up = 0
const ready = () => { if (++up === 2) console.log('port ' + tcp.address().port + ' ' + wss.address().port) }
tcp.listen(0, '127.0.0.1', ready)
wss.on('listening', ready)
`

const GENERIC = ['--greeting', '--send', 'join {id}', '--expect', '/^joined c1m[0-9a-f]+-[0-9]+$/', '--reply', 'ping=>pong']

for (const engine of ['native', 'node']) {
  describe(`--app generic, ${engine} engine, against a server of the test's own`, () => {
    for (const scheme of ['tcp', 'ws']) {
      it(`over ${scheme}: every connection counts once joined, the server's count of joins equals c1m's, its pings are answered`, async () => {
        const server = await startAppServer(greeter(), 1)
        pids.push(server.pid)
        const target = scheme === 'tcp' ? `tcp://127.0.0.1:${server.ports[0]}` : `ws://127.0.0.1:${server.ports[1]}/`
        const {envelope, exitCode, stderr} = await runJson<ClientRunResult>(['client', '--target', target, '--conns', '500', '--steps', '2', '--hold', '2s', '--engine', engine, ...GENERIC], {timeout: 60_000})
        assert.equal(exitCode, 0, stderr)
        const result = envelope.result
        const own = await server.counts()
        assert.equal(result.established, 500)
        assert.equal(own.joined, 500, 'the server answered 500 joins')
        assert.equal(result.session?.accepted, 500)
        assert.equal(result.session?.refused, 0)
        // Pings every 400 ms over a 2 s hold: about five per connection, each answered.
        assert.ok(result.session!.heartbeatsAnswered >= 500 * 3, `${result.session?.heartbeatsAnswered} heartbeats answered`)
        assert.ok(own.pongs >= result.session!.heartbeatsAnswered - 500, `the server counted ${own.pongs} pongs`)
        assert.equal(result.echo, undefined, 'a session gets no echo check')
        await stopPids([server.pid])
      })
    }

    it('over ws with permessage-deflate: the compressed messages are inflated and read by the session', async () => {
      const server = await startAppServer(greeter(400, true), 1)
      pids.push(server.pid)
      const {envelope, exitCode, stderr} = await runJson<ClientRunResult>(['client', '--target', `ws://127.0.0.1:${server.ports[1]}/`, '--conns', '200', '--steps', '1', '--hold', '1s', '--engine', engine, ...GENERIC], {timeout: 60_000})
      assert.equal(exitCode, 0, stderr)
      assert.equal((await server.counts()).joined, 200)
      assert.equal(envelope.result.session?.accepted, 200, 'every "joined" came compressed and was read')
      assert.ok(envelope.result.session!.heartbeatsAnswered >= 200, 'compressed pings answered')
      await stopPids([server.pid])
    })

    it('a session the server never accepts is not a connection: exit 10, said in the session\'s terms', async () => {
      const server = await startAppServer(greeter(), 1)
      pids.push(server.pid)
      const {envelope, exitCode} = await runJson<ClientRunResult>(['client', '--target', `tcp://127.0.0.1:${server.ports[0]}`, '--conns', '50', '--steps', '1', '--open-timeout', '2s', '--engine', engine, '--greeting', '--send', 'join {n}', '--expect', 'welcome'], {timeout: 60_000})
      assert.equal(exitCode, 10)
      assert.equal((await server.counts()).joined, 50, 'the server did answer, with what --expect does not take')
      assert.match(envelope.error?.message ?? '', /generic: 50 sessions not accepted within the open timeout/)
      await stopPids([server.pid])
    })

    it("probe --target --server-pid: c1m's figure agrees with the server tree's RSS read from /proc within 10%", async (t) => {
      // No pings here: the garbage they leave is collected at the heap's whim, not per connection.
      const server = await startAppServer(greeter(600_000), 1)
      pids.push(server.pid)
      const conns = 2000
      const {envelope, exitCode, stderr, independentPerConn} = await probeWithIndependentRss<ProbeRunReport>(['--target', `ws://127.0.0.1:${server.ports[1]}/`, '--server-pid', String(server.pid), '--steps', '3', '--settle', '300ms', '--engine', engine, ...GENERIC], server.pid, conns)
      assertHeld(exitCode, stderr + endNotes(envelope))
      const report = envelope.result
      assert.equal(report.session?.accepted, conns)
      assert.equal(report.session?.app, 'generic')
      assert.ok(report.hold!.messagesReceived !== undefined)
      const c1m = report.fit.server.bytesPerConn
      const ratio = c1m / independentPerConn
      t.diagnostic(`generic ws ${engine}: c1m ${Math.round(c1m)} B, /proc ${Math.round(independentPerConn)} B per connection (ratio ${ratio.toFixed(3)})`)
      assert.ok(ratio > 0.9 && ratio < 1.1, `c1m ${Math.round(c1m)} B, /proc ${Math.round(independentPerConn)} B per connection (ratio ${ratio.toFixed(3)})`)
      await stopPids([server.pid])
    })
  })
}
