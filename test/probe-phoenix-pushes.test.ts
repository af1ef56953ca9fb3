// --app phoenix counts what a Phoenix server pushes on the joined topic: a Phoenix channels V2
// endpoint in this test (npm ws on /socket/websocket) answers joins and heartbeats as Phoenix does,
// and pushes events to every joined socket during the hold; the test's own count of pushes sent is
// held against c1m's count of messages received. (The bundled phoenix server only echoes a
// socket's own events back, which c1m's sessions never send.)
import assert from 'node:assert/strict'
import type {AddressInfo} from 'node:net'
import {after, before, describe, it} from 'node:test'

import {WebSocket, WebSocketServer} from 'ws'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes} from './helpers.js'
import {probeWithHoldHook} from './independent-rss.js'

type PhxMessage = [string | null, string | null, string, string, unknown]

let server: WebSocketServer
let port = 0
/** Joined sockets and their join refs; heartbeats the endpoint answered. */
const joined = new Map<WebSocket, string>()
let heartbeats = 0

before(async () => {
  server = new WebSocketServer({host: '127.0.0.1', port: 0, path: '/socket/websocket'})
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const [joinRef, ref, topic, event] = JSON.parse(data.toString()) as PhxMessage
      const reply = (status: string) => socket.send(JSON.stringify([joinRef, ref, topic, 'phx_reply', {status, response: {}}]))
      if (event === 'phx_join' && topic === 'room:lobby') {
        joined.set(socket, joinRef!)
        reply('ok')
      } else if (topic === 'phoenix' && event === 'heartbeat') {
        heartbeats++
        reply('ok')
      } else reply('error')
    })
    socket.on('close', () => joined.delete(socket))
  })
  await new Promise((resolve) => server.once('listening', resolve))
  port = (server.address() as AddressInfo).port
})

after(async () => {
  for (const socket of server.clients) socket.terminate()
  await new Promise((resolve) => server.close(resolve))
})

/** `count` events on room:lobby to every joined socket, as Phoenix broadcasts them; how many went. */
function broadcast(count: number): number {
  let sent = 0
  for (const [socket, joinRef] of joined) {
    for (let i = 1; i <= count; i++) {
      socket.send(JSON.stringify([joinRef, null, 'room:lobby', 'new_msg', {body: `news ${i}`}]))
      sent++
    }
  }
  return sent
}

for (const engine of ['native', 'node']) {
  describe(`c1m probe --engine ${engine} --app phoenix: pushes on the joined topic`, () => {
    it('every event the endpoint pushed to a joined socket is counted as received, and heartbeats kept the sockets', {timeout: 120_000}, async () => {
      const conns = 200
      heartbeats = 0
      let sent = -1
      let joinedDuring = -1
      const {envelope, exitCode, stderr} = await probeWithHoldHook<ProbeRunReport>(['--engine', engine, '--target', `ws://127.0.0.1:${port}/`, '--app', 'phoenix', '--heartbeat-every', '1s', '--server-pid', String(process.pid), '--conns', String(conns), '--steps', '2', '--settle', '200ms', '--hold', '5s'], () => {
        joinedDuring = joined.size
        sent = broadcast(3)
      })
      assertHeld(exitCode, stderr + endNotes(envelope))
      const {session, hold} = envelope.result
      assert.equal(joinedDuring, conns, "the endpoint's own count of joined sockets")
      assert.equal(sent, 3 * conns)
      assert.deepEqual([session!.app, session!.accepted, hold!.dropped], ['phoenix', conns, 0])
      assert.equal(hold!.messagesReceived!.events, sent, 'each pushed event counted once; joins and heartbeat replies are not pushes')
      assert.ok(heartbeats >= conns * 3, `${heartbeats} heartbeats reached the endpoint`)
      // Each reply c1m counted is one the endpoint sent; the last round's replies may still be on the
      // way when the clients give their final count.
      const answered = session!.heartbeatsAnswered
      assert.ok(answered <= heartbeats && answered >= heartbeats - conns, `c1m counted ${answered} replies of the endpoint's ${heartbeats}`)
    })
  })
}
