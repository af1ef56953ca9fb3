import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'
import {existsSync, readdirSync, readFileSync, readlinkSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

import {hasOpenSsl, prepareEngine} from '../src/probe/engine.js'
import './helpers.js' // the shared test build cache (XDG_CACHE_HOME)
import {type Peer, startPeer} from '../src/probe/peer.js'
import {parseReply, type Role, WIRE} from '../src/probe/wire.js'
import type {Engine} from '../src/core/probe/run-report.js'
import {parseHistogram} from '../src/core/probe/latency.js'

const started: Peer[] = []
after(async () => {
  await Promise.all(started.map((peer) => peer.stop()))
})

const keysOf = (record: object | undefined) => Object.keys(record ?? {}).sort()

/**
 * The same commands on one engine's client against the bundled native server on loopback: each
 * reply's keys, by the command that drew it ("server count", "client open", ...).
 */
async function replyKeys(engine: Engine, source: string, tls: boolean): Promise<Record<string, string[]>> {
  const server = await startPeer((await prepareEngine('native', tls)).server, ['--listen', '127.0.0.1:0', ...(tls ? ['--tls'] : [])], 'server')
  started.push(server)
  const {client: program} = await prepareEngine(engine, tls)
  const client = await startPeer(program, ['--target', `127.0.0.1:${server.ready.port}`, '--source', `${source}:30000-30999`, ...(tls ? ['--tls', '--insecure'] : [])], 'client')
  started.push(client)
  const keys: Record<string, string[]> = {'client ready': keysOf(client.ready)}
  const opened = await client.ask('open 20', 30_000)
  assert.equal(opened.established, 20, `${engine}: ${opened.error}`)
  keys['client open'] = keysOf(opened)
  keys['client count'] = keysOf(await client.ask('count', 10_000))
  keys['client echo'] = keysOf(await client.ask('echo', 30_000))
  await client.ask('traffic 64 20', 10_000)
  await sleep(300)
  const window = await client.ask('latency', 10_000)
  keys['client latency'] = keysOf(window)
  const stopped = await client.ask('traffic 0 0', 30_000)
  keys['client traffic'] = keysOf(stopped)
  // The window read during the traffic and the last one after it add up to the traffic's reply;
  // the next window is empty.
  const last = await client.ask('latency', 10_000)
  const messages = (hist: string) => [...parseHistogram(hist).values()].reduce((a, b) => a + b, 0)
  assert.ok(messages(window.latencyHist) > 0, `${engine}: no echo timed in 300 ms of traffic`)
  assert.equal(messages(window.latencyHist) + messages(last.latencyHist), messages(stopped.latencyHist), `${engine}: the windows do not add up`)
  assert.equal(window.lost + last.lost, stopped.lost)
  assert.equal(Math.max(window.latencyMaxMs, last.latencyMaxMs), stopped.latencyMaxMs)
  const empty = await client.ask('latency', 10_000)
  assert.deepEqual([empty.latencyHist, empty.latencyMaxMs, empty.lost], ['', 0, 0], `${engine}: a window read twice`)
  keys['client fanout'] = keysOf(await client.ask('fanout', 10_000))
  keys['client publish'] = keysOf(await client.ask('publish 0', 10_000))
  // Raw TCP carries no message to publish: both engines refuse to start.
  await assert.rejects(client.ask('publish 100 hello', 10_000), /client: publish/)
  await assert.rejects(client.ask('nonsense', 10_000), /client: unknown command/)
  // Detached, a client answers count, close and quit only, and still holds its connections.
  const detached = await client.ask('detach', 10_000)
  keys['client detach'] = keysOf(detached)
  assert.equal(detached.established, 20, `${engine}: detach let go of connections`)
  await assert.rejects(client.ask('open 30', 10_000), /client: detached: only count, close and quit/)
  assert.equal((await client.ask('count', 10_000)).established, 20)
  assert.equal(socketsOf(client.pid), 20, `${engine}: the client's sockets before the close`)
  // The server goes first (it resets every connection), as the probe's close has it.
  if (engine === 'native') {
    keys['server ready'] = keysOf(server.ready)
    keys['server count'] = keysOf(await server.ask('count', 10_000))
    keys['server broadcast'] = keysOf(await server.ask('broadcast 0 64', 10_000))
    await assert.rejects(server.ask('broadcast 100 64', 10_000), /server: broadcast wants/)
    const serverDetached = await server.ask('detach', 10_000)
    keys['server detach'] = keysOf(serverDetached)
    assert.equal(serverDetached.open, 20, 'the server let go of connections at detach')
    await assert.rejects(server.ask('broadcast 0 64', 10_000), /server: detached: only count, close and quit/)
    const serverClosed = await server.ask('close', 10_000)
    keys['server close'] = keysOf(serverClosed)
    assert.deepEqual([serverClosed.open, serverClosed.closed], [0, 20], 'the server\'s close left connections open')
    assertStays(server, 'the server')
    keys['server last count'] = keysOf(await server.stop())
  } else await server.stop()
  // The client's close closes its sockets (reset by the server already) and it stays until quit.
  const closed = await client.ask('close', 10_000)
  keys['client close'] = keysOf(closed)
  assert.equal(closed.established, 0, `${engine}: established after the close`)
  assert.equal(socketsOf(client.pid), 0, `${engine}: the client kept sockets after its close`)
  assertStays(client, `the ${engine} client`)
  assert.equal((await client.ask('count', 10_000)).established, 0)
  keys['client last count'] = keysOf(await client.stop())
  return keys
}

/**
 * The TCP sockets a process holds (its stdio are socket pairs, not counted): its /proc/PID/fd
 * links against the inodes of /proc/PID/net/tcp and tcp6, the test's own reading.
 */
function socketsOf(pid: number): number {
  const tcp = new Set(['tcp', 'tcp6'].flatMap((table) => readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/)[9])))
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return tcp.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '')
    } catch {
      return false
    }
  }).length
}

/** After `close` the process is still there (its exit is for quit, in the probe's teardown). */
function assertStays(peer: Peer, what: string): void {
  assert.ok(existsSync(`/proc/${peer.pid}/fd`), `${what} exited at its close`)
}

/** The keys WIRE declares for an event: "event" and every field, the optional ones when `optional`. */
function declared(role: Role, event: string, optional: boolean): string[] {
  const fields: Record<string, string> = (WIRE[role] as Record<string, Record<string, string>>)[event]
  return ['event', ...Object.keys(fields).filter((key) => optional || !fields[key].endsWith('?'))].sort()
}

describe('the wire between c1m and the engines', () => {
  for (const tls of [false, true]) {
    it(`native and node clients answer every command with the same keys, the ones wire.ts declares${tls ? ', over TLS' : ''}`, {skip: tls && !hasOpenSsl() ? 'no OpenSSL headers' : false}, async () => {
      const native = await replyKeys('native', tls ? '127.1.232.1' : '127.1.230.1', tls)
      const node = await replyKeys('node', tls ? '127.1.233.1' : '127.1.231.1', tls)
      for (const [command, keys] of Object.entries(node)) assert.deepEqual(keys, native[command], `node's ${command} has other keys than native's`)
      for (const [command, keys] of Object.entries(native)) {
        const [role, event] = command.replace('last ', '').split(' ') as [Role, string]
        assert.deepEqual(keys, declared(role, event, tls && event === 'open'), `${command}: the keys differ from WIRE in src/probe/wire.ts`)
      }
    })
  }

  it('the node server answers with the keys the native one does', async () => {
    const [native, node] = await Promise.all((['native', 'node'] as Engine[]).map(async (engine) => {
      const server = await startPeer((await prepareEngine(engine)).server, ['--listen', '127.0.0.1:0'], `${engine} server`)
      started.push(server)
      const keys = {ready: keysOf(server.ready), count: keysOf(await server.ask('count', 10_000))}
      await assert.rejects(server.ask('nonsense', 10_000), /server: unknown command/)
      const detached = keysOf(await server.ask('detach', 10_000))
      await assert.rejects(server.ask('nonsense', 10_000), /server: detached: only count, close and quit/)
      const closed = await server.ask('close', 10_000)
      assert.equal(closed.open, 0, `${engine}: open after the close`)
      assertStays(server, `the ${engine} server`)
      return {...keys, detach: detached, close: keysOf(closed), last: keysOf(await server.stop())}
    }))
    assert.deepEqual(node, native)
    assert.deepEqual(native.count, declared('server', 'count', false))
    assert.deepEqual(native.detach, declared('server', 'detach', false))
    assert.deepEqual(native.close, declared('server', 'close', false))
  })
})

describe('parseReply', () => {
  const from = {name: 'load client 1', role: 'client' as const, engine: 'node' as const}
  const echo = {event: 'echo', sent: 3, echoed: 3, mismatched: 0, closed: 0, writeFailed: 0, established: 3, compressed: 0, firstBytes: ''}

  it('takes a reply that carries every field of its kind', () => {
    assert.deepEqual(parseReply(JSON.stringify(echo), from, 'echo'), echo)
  })

  it('fails on a missing or misspelt number field, naming the field, the program and its engine', () => {
    const misspelt: Record<string, unknown> = {...echo, echoes: 3}
    delete misspelt.echoed
    assert.throws(() => parseReply(JSON.stringify(misspelt), from, 'echo'), (error: Error & {code?: string}) => {
      assert.equal(error.code, 'E_PROBE_FAILED')
      assert.match(error.message, /load client 1 \(node client\) broke the probe protocol: its "echo" reply has no "echoed" where a number is due/)
      return true
    })
  })

  it('fails on a number sent as a string, or a flag as a number', () => {
    assert.throws(() => parseReply(JSON.stringify({...echo, sent: '3'}), from), /has a string "sent" where a number is due/)
    const count = {event: 'traffic', size: 0, intervalMs: 0, rounds: 1, bytesSent: 1, bytesReceived: 1, writeFailed: 0, established: 'x', latencyHist: '', latencyMaxMs: 0, lost: 0, rate: 0}
    assert.throws(() => parseReply(JSON.stringify(count), from), /"traffic" reply has a string "established"/)
  })

  it('fails on an event the role does not print, and on a reply to another command', () => {
    assert.throws(() => parseReply(JSON.stringify({event: 'open', open: 1}), {...from, role: 'server'}), /an unknown event "open"/)
    assert.throws(() => parseReply(JSON.stringify(echo), from, 'count'), /"echo" where "count" was due/)
  })

  it('turns an error line into its message', () => {
    assert.throws(() => parseReply('{"event":"error","message":"unknown command"}', from), {code: 'E_PROBE_FAILED', message: 'load client 1: unknown command'})
  })
})
