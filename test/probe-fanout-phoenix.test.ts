// --publish with --app phoenix through a Phoenix channels relay of this test's own (npm ws, in this
// process, the V2 JSON serializer as Phoenix speaks it): a join is answered ok, a heartbeat on the
// "phoenix" topic ok, and any other push on a topic is answered ok and broadcast to every socket
// joined to that topic as [null, null, topic, event, payload], as a chat channel's broadcast! does;
// the relay counts the pushes it got. One c1m connection pushes ["1",REF,TOPIC,EVENT,{"body":
// "c1m-fanout ..."}] every 400 ms; every connection, the publisher among them, times each. npm
// phoenix's own client (Socket, channel) subscribes to the topic and counts the c1m-fanout bodies it
// got. Both engines: c1m's deliveries are every connection for every message, and the messages it
// published are the relay's count and the subscriber's, stamp for stamp; `c1m client --publish` too.
import assert from 'node:assert/strict'
import type {AddressInfo} from 'node:net'
import {after, before, describe, it} from 'node:test'

import {Socket} from 'phoenix'
import {WebSocket, WebSocketServer} from 'ws'

import type {FanoutReport} from '../src/core/probe/fanout.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, runJsonWatched} from './helpers.js'

type PhxMessage = [string | null, string | null, string, string, unknown]

let server: WebSocketServer
let port = 0
/** The sockets joined to each topic; the pushes the relay got, by topic and event. */
const members = new Map<string, Set<WebSocket>>()
const pushes = new Map<string, number>()

before(async () => {
  server = new WebSocketServer({host: '127.0.0.1', port: 0, path: '/socket/websocket'})
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const [joinRef, ref, topic, event, payload] = JSON.parse(data.toString()) as PhxMessage
      const reply = (status: string) => socket.send(JSON.stringify([joinRef, ref, topic, 'phx_reply', {status, response: {}}]))
      if (topic === 'phoenix') {
        reply(event === 'heartbeat' ? 'ok' : 'error')
      } else if (event === 'phx_join') {
        if (!members.has(topic)) members.set(topic, new Set())
        members.get(topic)!.add(socket)
        reply('ok')
      } else if (members.get(topic)?.has(socket)) {
        pushes.set(`${topic} ${event}`, (pushes.get(`${topic} ${event}`) ?? 0) + 1)
        reply('ok')
        const out = JSON.stringify([null, null, topic, event, payload])
        for (const member of members.get(topic)!) if (member.readyState === WebSocket.OPEN) member.send(out)
      } else reply('error')
    })
    socket.on('close', () => {
      for (const set of members.values()) set.delete(socket)
    })
  })
  await new Promise((resolve) => server.once('listening', resolve))
  port = (server.address() as AddressInfo).port
})

after(async () => {
  for (const socket of server.clients) socket.terminate()
  await new Promise((resolve) => server.close(resolve))
})

/** A subscriber that is not c1m (npm phoenix): the c1m-fanout bodies it got of `event` on `topic`. */
async function subscriber(topic: string, event: string): Promise<{socket: Socket; bodies: string[]}> {
  const socket = new Socket(`ws://127.0.0.1:${port}/socket`, {transport: WebSocket, reconnectAfterMs: () => 600_000, rejoinAfterMs: () => 600_000, timeout: 10_000})
  const bodies: string[] = []
  socket.connect()
  const channel = socket.channel(topic)
  channel.on(event, (payload) => {
    const body = (payload as {body?: unknown}).body
    if (typeof body === 'string' && body.startsWith('c1m-fanout ')) bodies.push(body)
  })
  await new Promise<void>((resolve, reject) => {
    channel.join().receive('ok', () => resolve()).receive('error', (why) => reject(new Error(`join refused: ${JSON.stringify(why)}`))).receive('timeout', () => reject(new Error('join timed out')))
  })
  return {socket, bodies}
}

const cases = [
  {topic: 'room:lobby', event: 'new_msg', flags: [] as string[], text: 'hello "lobby" \\o/'},
  {topic: 'room:42', event: 'shout', flags: ['--topic', 'room:42', '--event', 'shout'], text: 'hello room 42'},
]

for (const engine of ['native', 'node']) {
  describe(`c1m probe --app phoenix --publish, --engine ${engine}, through a Phoenix channels relay`, () => {
    for (const {topic, event, flags, text} of cases) {
      it(`a push of ${event} on ${topic}: every connection times each message; the relay and an npm phoenix subscriber counted the same`, {timeout: 120_000}, async () => {
        const conns = 200
        const watcher = await subscriber(topic, event)
        const before = pushes.get(`${topic} ${event}`) ?? 0
        const {envelope, exitCode, stderr} = await runJsonWatched<ProbeRunReport>(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${port}/`, '--server-pid', String(process.pid), '--app', 'phoenix', ...flags, '--conns', String(conns), '--steps', '2', '--settle', '200ms', '--hold', '2500ms', '--publish', text, '--publish-every', '400ms'], () => watcher.socket.disconnect(), {timeout: 90_000})
        assertHeld(exitCode, stderr + endNotes(envelope))
        const {fanout} = envelope.result.hold!
        assert.deepEqual(fanout!.source, {kind: 'publish', everyMs: 400, text, publisherReceives: true})
        const {broadcasts} = fanout!
        assert.ok(broadcasts.length >= 5, `6 or 7 messages in 2.5 s, got ${broadcasts.length}`)
        assert.equal((pushes.get(`${topic} ${event}`) ?? 0) - before, broadcasts.length, 'the relay got each push c1m published, and no other')
        assert.equal(watcher.bodies.length, broadcasts.length, "the test's own subscriber got each message c1m timed")
        for (const [i, b] of broadcasts.entries()) {
          const [, seq, stamp, ...words] = watcher.bodies[i].split(' ')
          assert.deepEqual([Number(seq), Number(stamp), words.join(' ')], [b.seq, b.sentUs, text], 'the body arrived whole, quotes and backslash too')
          assert.deepEqual([b.delivered, b.expected], [conns, conns], `message ${b.seq}: every connection, the publisher's among them`)
        }
      })
    }

    it('c1m client --publish: the same through c1m client', {timeout: 120_000}, async () => {
      const conns = 150
      const [topic, event] = ['room:client', 'shout']
      const watcher = await subscriber(topic, event)
      const before = pushes.get(`${topic} ${event}`) ?? 0
      const run = await runJsonWatched<{fanout: FanoutReport}>(['client', '--engine', engine, '--target', `ws://127.0.0.1:${port}/`, '--app', 'phoenix', '--topic', topic, '--event', event, '--conns', String(conns), '--steps', '1', '--hold', '2s', '--publish', 'client news', '--publish-every', '400ms'], () => watcher.socket.disconnect(), {timeout: 90_000})
      assert.equal(run.exitCode, 0, run.stderr)
      const {broadcasts} = run.envelope.result.fanout
      assert.ok(broadcasts.length >= 4, `about 5 messages in 2 s, got ${broadcasts.length}`)
      assert.equal((pushes.get(`${topic} ${event}`) ?? 0) - before, broadcasts.length, 'the relay got each push c1m published, and no other')
      assert.deepEqual(watcher.bodies.map((body) => Number(body.split(' ')[2])), broadcasts.map((b) => b.sentUs), 'the same messages, with the same stamps')
      for (const b of broadcasts) assert.equal(b.delivered, conns, `message ${b.seq}`)
    })
  })
}
