// c1m server --app socketio against npm socket.io-client 4.8, the framework's own client: N
// clients join, are pinged through a hold longer than pingInterval + pingTimeout without a
// disconnect, and get their events back; a client that never answers a ping is closed.
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import {io, type Socket} from 'socket.io-client'
import WebSocket from 'ws'

import {type AppServer, startAppServer, until} from './app-server.js'

const CLIENTS = 200
// Short, but with room for a loaded machine: a pong later than the timeout closes the connection.
const PING_INTERVAL_MS = 400
const PING_TIMEOUT_MS = 800

const servers: AppServer[] = []
const sockets: Socket[] = []
after(async () => {
  for (const socket of sockets) socket.close()
  await Promise.all(servers.map((server) => server.stop().catch(() => undefined)))
})

/** Stop a server this file started (and take it off the list the after hook stops). */
async function stop(server: AppServer): ReturnType<AppServer['stop']> {
  servers.splice(servers.indexOf(server), 1)
  return server.stop()
}

describe('c1m server --app socketio with socket.io-client', () => {
  it(`${CLIENTS} clients connect, stay through pings, and get their events echoed and acknowledged`, async () => {
    const server = await startAppServer(['--app', 'socketio', '--ping-interval', `${PING_INTERVAL_MS}ms`, '--ping-timeout', `${PING_TIMEOUT_MS}ms`])
    servers.push(server)
    let connected = 0
    let disconnects = 0
    const errors: string[] = []
    const pings: number[] = []
    for (let i = 0; i < CLIENTS; i++) {
      const socket = io(`http://127.0.0.1:${server.port}`, {transports: ['websocket'], forceNew: true, reconnection: false})
      sockets.push(socket)
      pings.push(0)
      socket.on('connect', () => connected++)
      socket.on('disconnect', () => disconnects++)
      socket.on('connect_error', (error) => errors.push(error.message))
      socket.io.on('ping', () => pings[i]++)
    }
    await until(() => connected === CLIENTS, 20_000, () => `${connected} of ${CLIENTS} connected (errors: ${errors.slice(0, 3).join('; ')})`)
    assert.ok(sockets.every((socket) => typeof socket.id === 'string' && socket.id.length > 0))
    assert.equal(new Set(sockets.map((socket) => socket.id)).size, CLIENTS, 'every socket id is unique')

    // Longer than pingInterval + pingTimeout: a server whose pings stopped would be dropped by
    // each client, and one that dropped answered connections would show here too.
    await new Promise((resolve) => setTimeout(resolve, 2 * (PING_INTERVAL_MS + PING_TIMEOUT_MS)))
    assert.equal(disconnects, 0)
    assert.ok(sockets.every((socket) => socket.connected))
    assert.ok(pings.every((count) => count >= 3), `every client pinged at least 3 times (fewest ${Math.min(...pings)})`)

    const echoes = await Promise.all(sockets.map((socket, i) => new Promise<unknown[]>((resolve) => {
      socket.once('chat', (...args: unknown[]) => resolve(args))
      socket.emit('chat', {n: i, text: 'héllo'}, [1, 2])
    })))
    echoes.forEach((args, i) => assert.deepEqual(args, [{n: i, text: 'héllo'}, [1, 2]]))
    const acks = await Promise.all(sockets.slice(0, 10).map((socket, i) => socket.timeout(5000).emitWithAck('add', i, 'x')))
    assert.deepEqual(acks, Array.from({length: 10}, (_, i) => i))

    for (const socket of sockets.splice(0)) socket.close()
    const {code, result} = await stop(server)
    assert.equal(code, 0)
    assert.equal(result.app.sessions, CLIENTS)
    assert.equal(result.app.timeouts, 0)
    assert.equal(result.app.events, CLIENTS + 10)
    assert.ok(result.app.heartbeats >= 3 * CLIENTS, `heartbeats ${result.app.heartbeats}`)
  })

  it('a namespace with an auth payload is joined under its own name', async () => {
    const server = await startAppServer(['--app', 'socketio'])
    servers.push(server)
    const socket = io(`http://127.0.0.1:${server.port}/chat`, {transports: ['websocket'], forceNew: true, reconnection: false, auth: {token: 't'}})
    sockets.push(socket)
    const echoed = await new Promise<unknown>((resolve) => {
      socket.on('connect', () => socket.emit('said', 'hi'))
      socket.on('said', resolve)
    })
    assert.equal(echoed, 'hi')
  })

  it('closes a connection that never answers a ping, after pingInterval + pingTimeout, and keeps one that does', async () => {
    const server = await startAppServer(['--app', 'socketio', '--ping-interval', `${PING_INTERVAL_MS}ms`, '--ping-timeout', `${PING_TIMEOUT_MS}ms`])
    servers.push(server)
    const url = `ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`
    const open = (answer: boolean) => {
      const ws = new WebSocket(url)
      const said: string[] = []
      const closed = new Promise<{code: number; at: number}>((resolve) => ws.on('close', (code) => resolve({code, at: Date.now()})))
      ws.on('message', (data) => {
        const text = String(data)
        said.push(text)
        if (text.startsWith('0{')) ws.send('40')
        if (text === '2' && answer) ws.send('3')
      })
      return {ws, said, closed}
    }
    const started = Date.now()
    const silent = open(false)
    const answering = open(true)
    const {code, at} = await Promise.race([silent.closed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('not closed in 5 s')), 5000))])
    assert.equal(code, 1000)
    assert.ok(at - started >= PING_INTERVAL_MS + PING_TIMEOUT_MS, `closed after ${at - started} ms`)
    assert.ok(silent.said.includes('2'), 'it was pinged')
    assert.match(silent.said[1], /^40\{"sid":"[\w-]+"\}$/)
    await new Promise((resolve) => setTimeout(resolve, PING_INTERVAL_MS + PING_TIMEOUT_MS))
    assert.equal(answering.ws.readyState, WebSocket.OPEN)
    answering.ws.close()
    const stopped = await stop(server)
    assert.equal(stopped.result.app.timeouts, 1)
  })

  it('answers 404 to a path it does not serve', async () => {
    const server = await startAppServer(['--app', 'socketio'])
    servers.push(server)
    const status = await new Promise<number | undefined>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=3&transport=websocket`)
      ws.on('unexpected-response', (request, response) => {
        resolve(response.statusCode)
        request.destroy()
      })
      ws.on('open', () => resolve(101))
      ws.on('error', () => undefined)
    })
    assert.equal(status, 404)
  })
})
