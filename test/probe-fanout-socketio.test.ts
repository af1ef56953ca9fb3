// --publish with --app socketio through a Socket.IO chat room of this test's own (npm socket.io 4.8,
// in this process): on 'message' in / (and on 'chat' in /chat) the room emits the message to every
// socket of the namespace, and counts what it got. One c1m connection emits 42["EVENT","c1m-fanout
// ..."] every 400 ms; every connection, the publisher among them, times each. A socket.io-client
// subscriber of the test's own counts the c1m-fanout messages it got. Both engines: c1m's deliveries
// are every connection for every message, and the messages it published are the room's count and
// the subscriber's, stamp for stamp.
import assert from 'node:assert/strict'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {after, before, describe, it} from 'node:test'

import {Server} from 'socket.io'
import {io as connect, type Socket} from 'socket.io-client'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, runJsonWatched} from './helpers.js'

let server: http.Server
let room: Server
let port = 0
/** Messages the room got from a socket, by namespace (each it then emitted to the namespace). */
const got = new Map<string, number>()

before(async () => {
  server = http.createServer()
  room = new Server(server)
  for (const [namespace, event] of [['/', 'message'], ['/chat', 'chat']]) {
    const nsp = room.of(namespace)
    nsp.on('connection', (socket) => {
      socket.on(event, (message: unknown) => {
        got.set(namespace, (got.get(namespace) ?? 0) + 1)
        nsp.emit(event, message)
      })
    })
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

after(async () => {
  room.disconnectSockets(true)
  await new Promise((resolve) => room.close(resolve))
})

/** A subscriber that is not c1m: the c1m-fanout texts it got on `event` in `namespace`. */
async function subscriber(namespace: string, event: string): Promise<{socket: Socket; texts: string[]}> {
  const socket = connect(`http://127.0.0.1:${port}${namespace === '/' ? '' : namespace}`, {transports: ['websocket'], reconnection: false})
  const texts: string[] = []
  socket.on(event, (message: unknown) => {
    if (typeof message === 'string' && message.startsWith('c1m-fanout ')) texts.push(message)
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('connect_error', reject)
  })
  return {socket, texts}
}

const cases = [
  {namespace: '/', event: 'message', flags: [] as string[], text: 'hello "room"'},
  {namespace: '/chat', event: 'chat', flags: ['--namespace', '/chat', '--event', 'chat'], text: 'hello chat'},
]

for (const engine of ['native', 'node']) {
  describe(`c1m probe --app socketio --publish, --engine ${engine}, through a Socket.IO room`, () => {
    for (const {namespace, event, flags, text} of cases) {
      it(`42["${event}",...] in ${namespace}: every connection times each message; the room and a socket.io-client subscriber counted the same`, {timeout: 120_000}, async () => {
        const conns = 200
        const watcher = await subscriber(namespace, event)
        const before = got.get(namespace) ?? 0
        const {envelope, exitCode, stderr} = await runJsonWatched<ProbeRunReport>(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${port}/`, '--server-pid', String(process.pid), '--app', 'socketio', ...flags, '--conns', String(conns), '--steps', '2', '--settle', '200ms', '--hold', '2500ms', '--publish', text, '--publish-every', '400ms'], () => watcher.socket.disconnect(), {timeout: 90_000})
        assertHeld(exitCode, stderr + endNotes(envelope))
        const {fanout} = envelope.result.hold!
        assert.deepEqual(fanout!.source, {kind: 'publish', everyMs: 400, text, publisherReceives: true})
        const {broadcasts} = fanout!
        assert.ok(broadcasts.length >= 5, `6 or 7 messages in 2.5 s, got ${broadcasts.length}`)
        assert.equal((got.get(namespace) ?? 0) - before, broadcasts.length, 'the room got each message c1m published, and no other')
        assert.equal(watcher.texts.length, broadcasts.length, "the test's own subscriber got each message c1m timed")
        for (const [i, b] of broadcasts.entries()) {
          const [, seq, stamp, ...words] = watcher.texts[i].split(' ')
          assert.deepEqual([Number(seq), Number(stamp), words.join(' ')], [b.seq, b.sentUs, text], 'the text arrived whole, quotes and all')
          assert.deepEqual([b.delivered, b.expected], [conns, conns], `message ${b.seq}: every connection, the publisher's among them`)
        }
      })
    }
  })
}
