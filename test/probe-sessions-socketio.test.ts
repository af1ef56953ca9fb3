// --app socketio (issue 23) against npm socket.io 4.8's own server in a child node process on
// 127.0.0.1, pingInterval and pingTimeout 1 s each, with both engines. By the server's own count
// every connection joined the namespace, and none was closed for a ping timeout during a 6 s hold
// (longer than pingInterval + pingTimeout, so unanswered pings would have closed them; c1m's clients
// saw none dropped); events it emits are
// counted as pushed. With the default pingInterval (whose garbage does not blur the heap), the
// server tree's RSS from /proc agrees with c1m's figure within 10%. A
// namespace its middleware refuses (`44{...}`) is quoted in socket.io's terms, exit 10. Engine.IO 3
// (--eio 3, allowEIO3) joins too, the client pinging on the announced interval.
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import type {ClientRunResult} from '../src/probe/run-client.js'
import {assertHeld, endNotes, runJson} from './helpers.js'
import {probeWithHoldHook, probeWithIndependentRss} from './independent-rss.js'
import {MODULES, startAppServer} from './session-servers.js'
import {stopPids} from './server-helpers.js'

const pids: number[] = []
after(() => stopPids(pids))

const socketIo = (pingMs: number) => `
const http = require('node:http')
const {Server} = require(${JSON.stringify(`${MODULES}/socket.io`)})
const server = http.createServer()
const io = new Server(server, {pingInterval: ${pingMs}, pingTimeout: ${pingMs}, allowEIO3: true})
let connections = 0, pingTimeouts = 0, refused = 0
io.on('connection', (socket) => { connections++; socket.on('disconnect', (reason) => { if (reason === 'ping timeout') pingTimeouts++ }) })
io.of('/private').use((socket, next) => { refused++; next(new Error('not allowed')) })
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port))
const counts = () => ({connected: io.of('/').sockets.size, connections, pingTimeouts, refused})
const command = (line) => { if (line.startsWith('emit ')) for (let i = 0; i < Number(line.slice(5)); i++) io.emit('news', 'hello') }
`

async function startSocketIo(pingMs = 1000) {
  const server = await startAppServer(socketIo(pingMs))
  pids.push(server.pid)
  return server
}

for (const engine of ['native', 'node']) {
  describe(`--app socketio, ${engine} engine, against npm socket.io 4.8`, () => {
    it("every connection joins by the server's count, none times out across 1 s pings, events counted", async () => {
      const server = await startSocketIo()
      const conns = 1500
      let own: Record<string, number> = {}
      const run = await probeWithHoldHook<ProbeRunReport>(['--target', `ws://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--conns', String(conns), '--steps', '3', '--settle', '300ms', '--hold', '6s', '--engine', engine, '--app', 'socketio'], async () => {
        own = await server.counts()
        server.tell('emit 2')
      })
      assertHeld(run.exitCode, run.stderr + endNotes(run.envelope))
      const report = run.envelope.result
      const after = await server.counts()
      assert.equal(own.connected, conns, "socket.io's own count of sockets in namespace /, during the hold")
      assert.equal(after.pingTimeouts, 0, 'no socket timed out for want of pongs')
      assert.equal(report.session?.accepted, conns)
      assert.equal(report.hold?.dropped, 0)
      // A ping a second from the server over the ramp and the 6 s hold, each answered.
      assert.ok(report.session!.heartbeatsAnswered >= conns * 5, `${report.session?.heartbeatsAnswered} pings answered`)
      assert.equal(report.hold?.messagesReceived?.events, conns * 2, 'the two events emitted to everyone')
      await stopPids([server.pid])
    })

    it("c1m's figure agrees with the server tree's RSS read from /proc within 10% (default pingInterval)", async (t) => {
      // Pings every second leave garbage the heap collects when it likes, not per connection.
      const server = await startSocketIo(25_000)
      const conns = 1500
      const {envelope, exitCode, stderr, independentPerConn} = await probeWithIndependentRss<ProbeRunReport>(['--target', `ws://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--steps', '3', '--settle', '300ms', '--engine', engine, '--app', 'socketio'], server.pid, conns)
      assertHeld(exitCode, stderr + endNotes(envelope))
      assert.equal(envelope.result.session?.accepted, conns)
      const c1m = envelope.result.fit.server.bytesPerConn
      const ratio = c1m / independentPerConn
      t.diagnostic(`socketio ${engine}: c1m ${Math.round(c1m)} B, /proc ${Math.round(independentPerConn)} B per connection (ratio ${ratio.toFixed(3)})`)
      assert.ok(ratio > 0.9 && ratio < 1.1, `c1m ${Math.round(c1m)} B, /proc ${Math.round(independentPerConn)} B per connection (ratio ${ratio.toFixed(3)})`)
      await stopPids([server.pid])
    })

    it("a namespace refused by the server's middleware is quoted in socket.io's terms, exit 10", async () => {
      const server = await startSocketIo()
      const {envelope, exitCode} = await runJson<ProbeRunReport>(['probe', '--target', `ws://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--conns', '100', '--steps', '2', '--engine', engine, '--app', 'socketio', '--namespace', '/private'], {timeout: 60_000})
      assert.equal(exitCode, 10)
      assert.match(envelope.error?.message ?? '', /socket\.io: namespace \/private refused: \{"message":"not allowed"\}/)
      assert.ok((await server.counts()).refused > 0, 'the middleware did refuse')
      await stopPids([server.pid])
    })

    it('Engine.IO 3 (--eio 3): joins, the client pings on the announced interval and the server answers', async () => {
      const server = await startSocketIo()
      const {envelope, exitCode, stderr} = await runJson<ClientRunResult>(['client', '--target', `ws://127.0.0.1:${server.port}/`, '--conns', '200', '--steps', '1', '--hold', '4s', '--engine', engine, '--app', 'socketio', '--eio', '3'], {timeout: 60_000})
      assert.equal(exitCode, 0, stderr)
      const own = await server.counts()
      assert.equal(own.connections, 200)
      assert.equal(own.pingTimeouts, 0, 'no socket timed out for want of pings')
      assert.ok(envelope.result.session!.heartbeatsSent >= 200 * 2, `${envelope.result.session?.heartbeatsSent} pings sent`)
      assert.ok(envelope.result.session!.heartbeatsAnswered >= 200 * 2, `${envelope.result.session?.heartbeatsAnswered} pongs`)
      await stopPids([server.pid])
    })
  })
}
