// c1m server --app phoenix against npm phoenix, the framework's own JavaScript client (over npm
// ws): N sockets join room:lobby, their heartbeats are answered through a hold longer than the
// server's idle limit, pushes are answered and sent back; a socket that sends no heartbeat is
// closed after the idle limit while one that does stays.
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import {type Channel, Socket} from 'phoenix'
import WebSocket from 'ws'

import {type AppServer, startAppServer, until} from './app-server.js'

const CLIENTS = 200
const HEARTBEAT_MS = 200
const IDLE_TIMEOUT_MS = 600

const servers: AppServer[] = []
const sockets: Socket[] = []
const channels: Channel[] = []
after(async () => {
  await Promise.all(servers.map((server) => server.stop().catch(() => undefined)))
  closeAll()
})

/** Disconnect every socket, then leave every channel: no reconnect or rejoin timer is left. */
function closeAll(): void {
  for (const socket of sockets.splice(0)) socket.disconnect()
  for (const channel of channels.splice(0)) channel.leave()
}

/** A channel on a socket, on the list closeAll leaves. */
function channel(socket: Socket, topic: string, params: object = {}): Channel {
  const made = socket.channel(topic, params)
  channels.push(made)
  return made
}

/** Stop a server this file started (and take it off the list the after hook stops). */
async function stop(server: AppServer): ReturnType<AppServer['stop']> {
  servers.splice(servers.indexOf(server), 1)
  return server.stop()
}

/** A phoenix Socket to the server, with the heartbeat given; it never reconnects within a test. */
function connect(port: number, heartbeatIntervalMs: number): Socket {
  const socket = new Socket(`ws://127.0.0.1:${port}/socket`, {transport: WebSocket, heartbeatIntervalMs, reconnectAfterMs: () => 600_000, rejoinAfterMs: () => 600_000, timeout: 10_000})
  sockets.push(socket)
  socket.connect()
  return socket
}

describe('c1m server --app phoenix with the phoenix client', () => {
  it(`${CLIENTS} sockets join room:lobby, keep heartbeating through the hold, and get their pushes back`, async () => {
    const server = await startAppServer(['--app', 'phoenix', '--idle-timeout', `${IDLE_TIMEOUT_MS}ms`])
    servers.push(server)
    let joined = 0
    let closes = 0
    let heartbeatReplies = 0
    const lobbies = Array.from({length: CLIENTS}, () => {
      const socket = connect(server.port, HEARTBEAT_MS)
      socket.onClose(() => closes++)
      socket.onMessage((message) => {
        if (message.topic === 'phoenix' && message.event === 'phx_reply') heartbeatReplies++
      })
      const lobby = channel(socket, 'room:lobby', {user: 'c1m'})
      lobby.join().receive('ok', () => joined++)
      return lobby
    })
    await until(() => joined === CLIENTS, 30_000, () => `${joined} of ${CLIENTS} joined`)

    // Longer than two heartbeat intervals and than the server's idle limit: a socket whose
    // heartbeats went unanswered is closed by the client, one the server did not count by the server.
    const before = heartbeatReplies
    await new Promise((resolve) => setTimeout(resolve, 3 * IDLE_TIMEOUT_MS))
    assert.equal(closes, 0)
    assert.ok(sockets.every((socket) => socket.isConnected()))
    assert.ok(heartbeatReplies - before >= 2 * CLIENTS, `${heartbeatReplies - before} heartbeats answered during the hold`)

    const pushed = await Promise.all(lobbies.map((lobby, i) => new Promise<[unknown, unknown]>((resolve) => {
      let reply: unknown
      lobby.on('shout', (payload) => resolve([reply, payload]))
      lobby.push('shout', {n: i}).receive('ok', (response) => {
        reply = response
      })
    })))
    pushed.forEach(([reply, payload], i) => assert.deepEqual([reply, payload], [{}, {n: i}]))

    closeAll()
    const {code, result} = await stop(server)
    assert.equal(code, 0)
    assert.equal(result.app.sessions, CLIENTS)
    assert.equal(result.app.timeouts, 0)
    assert.equal(result.app.events, CLIENTS)
    assert.ok(result.app.heartbeats >= 2 * CLIENTS, `heartbeats ${result.app.heartbeats}`)
  })

  it('speaks it over wss too (the server\'s own certificate, not verified here)', async () => {
    const server = await startAppServer(['--app', 'phoenix', '--protocol', 'wss'])
    servers.push(server)
    class Unverified extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, {rejectUnauthorized: false})
      }
    }
    const socket = new Socket(`wss://127.0.0.1:${server.port}/socket`, {transport: Unverified, heartbeatIntervalMs: HEARTBEAT_MS, reconnectAfterMs: () => 600_000})
    sockets.push(socket)
    socket.connect()
    const lobby = channel(socket, 'room:tls')
    await new Promise((resolve) => lobby.join().receive('ok', resolve))
    const echoed = await new Promise((resolve) => {
      lobby.on('said', resolve)
      lobby.push('said', {over: 'tls'})
    })
    assert.deepEqual(echoed, {over: 'tls'})
    closeAll()
    const {result} = await stop(server)
    assert.deepEqual([result.app.sessions, result.app.events], [1, 1])
  })

  it('refuses a join to a topic no channel is routed for, as Phoenix does', async () => {
    const server = await startAppServer(['--app', 'phoenix'])
    servers.push(server)
    const socket = connect(server.port, 30_000)
    const refusal = await new Promise<unknown>((resolve) => channel(socket, 'nope:1').join().receive('error', resolve))
    assert.deepEqual(refusal, {reason: 'unmatched topic'})
    const {result} = await stop(server)
    assert.deepEqual([result.app.sessions, result.app.refused], [0, 1])
  })

  it('closes a socket that sends no heartbeat after the idle limit, and keeps one that does', async () => {
    const server = await startAppServer(['--app', 'phoenix', '--idle-timeout', `${IDLE_TIMEOUT_MS}ms`])
    servers.push(server)
    // The silent one's heartbeat is ten minutes away: after its join it says nothing.
    const silent = connect(server.port, 600_000)
    const beating = connect(server.port, HEARTBEAT_MS)
    const joinedAt = await Promise.all([silent, beating].map((socket) => new Promise<number>((resolve) => {
      channel(socket, 'room:lobby').join().receive('ok', () => resolve(Date.now()))
    })))
    const closed = await new Promise<{code: number; at: number}>((resolve, reject) => {
      silent.onClose((event) => resolve({code: event.code, at: Date.now()}))
      setTimeout(() => reject(new Error('the silent socket was not closed in 5 s')), 5000)
    })
    assert.equal(closed.code, 1000)
    assert.ok(closed.at - joinedAt[0] >= IDLE_TIMEOUT_MS, `closed ${closed.at - joinedAt[0]} ms after its join`)
    await new Promise((resolve) => setTimeout(resolve, IDLE_TIMEOUT_MS))
    assert.ok(beating.isConnected())
    const {result} = await stop(server)
    assert.equal(result.app.timeouts, 1)
  })
})
