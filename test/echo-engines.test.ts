import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {after, describe, it} from 'node:test'

import {prepareEngine} from '../src/probe/engine.js'
import './helpers.js' // the shared test build cache (XDG_CACHE_HOME)
import {type Peer, startPeer} from '../src/probe/peer.js'
import type {Engine} from '../src/core/probe/run-report.js'
import {eventually} from './spawn-c1m.js'

/** Sockets in /proc/net/tcp bound to this local address, by state (hex: 01 established, 06 time-wait). */
function socketsFrom(address: string): Record<string, number> {
  const hex = address.split('.').map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase()).reverse().join('')
  const states: Record<string, number> = {}
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields[1]?.startsWith(`${hex}:`)) states[fields[3]] = (states[fields[3]] ?? 0) + 1
  }
  return states
}

const started: Peer[] = []
after(async () => {
  await Promise.all(started.map((peer) => peer.stop()))
})

/** An engine's echo server on a kernel-chosen loopback port, and a client of it from `source` (IP:PORTS). */
async function serverAndClient(engine: Engine, source: string): Promise<{server: Peer<'server'>; client: Peer<'client'>}> {
  const programs = await prepareEngine(engine)
  const server = await startPeer(programs.server, ['--listen', '127.0.0.1:0'], 'server')
  started.push(server)
  const client = await startPeer(programs.client, ['--target', `127.0.0.1:${server.ready.port}`, '--source', source], 'client')
  started.push(client)
  return {server, client}
}

for (const [i, engine] of (['native', 'node'] as Engine[]).entries()) {
  describe(`${engine} echo server and client`, () => {
    // A source address of its own per engine, so the /proc/net/tcp counts are this test's alone.
    const source = `127.1.${200 + i}.1`
    const sigtermSource = `127.1.${220 + i}.1`

    it('open connections from explicit source ports, echo on each, and reset them all on quit', async () => {
      const {server, client} = await serverAndClient(engine, `${source}:20000-20999`)
      assert.ok(Number(server.ready.port) > 0)

      const opened = await client.ask('open 300', 20_000)
      assert.equal(opened.established, 300)
      assert.equal(opened.failed, 0)
      assert.equal(socketsFrom(source)['01'], 300)

      const more = await client.ask('open 500', 20_000)
      assert.equal(more.established, 500)
      await eventually(async () => {
        const count = await server.ask('count', 5000)
        assert.equal(count.open, 500)
        assert.equal(count.accepted, 500)
      }, {everyMs: 20})

      const echo = await client.ask('echo', 20_000)
      assert.deepEqual([echo.sent, echo.echoed], [500, 500])
      assert.equal((await server.ask('count', 5000)).bytes, 500 * 16)

      const last = await client.stop()
      assert.equal(last?.established, 0)
      // Reset, not closed: nothing of this client lingers in TIME_WAIT or anywhere else.
      assert.deepEqual(socketsFrom(source), {})
      await eventually(async () => {
        const count = await server.ask('count', 5000)
        assert.equal(count.open, 0)
        assert.equal(count.closed, 500)
      }, {everyMs: 20})
    })

    it('stop at the end of the source slice instead of letting the kernel pick ports', async () => {
      const {server, client} = await serverAndClient(engine, `${source}:21000-21009`)
      const opened = await client.ask('open 50', 20_000)
      assert.equal(opened.established, 10)
      assert.equal(opened.sourcesLeft, false)
      await client.stop()
      await server.stop()
    })

    it('reset their connections on SIGTERM too, as when their parent dies', async () => {
      const {server, client} = await serverAndClient(engine, `${sigtermSource}:1024-65535`)
      assert.equal((await client.ask('open 400', 20_000)).established, 400)
      process.kill(client.pid, 'SIGTERM')
      const last = await client.stop()
      assert.equal(last?.established, 0)
      assert.deepEqual(socketsFrom(sigtermSource), {})
      process.kill(server.pid, 'SIGTERM')
      assert.equal((await server.stop())?.open, 0)
    })

    it('report refused connections with the error', async () => {
      const programs = await prepareEngine(engine)
      // Port 1 on loopback: nothing listens there.
      const client = await startPeer(programs.client, ['--target', '127.0.0.1:1'], 'client')
      started.push(client)
      const opened = await client.ask('open 20', 20_000)
      assert.equal(opened.established, 0)
      assert.ok(Number(opened.failed) >= 20)
      assert.match(String(opened.error), /refused/i)
      await client.stop()
    })
  })
}

describe('probe programs', () => {
  it('refuse a bad command line with exit 2 before they start', async () => {
    const programs = await prepareEngine('native')
    await assert.rejects(startPeer(programs.client, ['--target', 'nowhere'], 'client'), /exited \(code 2\).*usage/)
    await assert.rejects(startPeer(programs.server, ['--listen', '127.0.0.1:99999'], 'server'), /exited \(code 2\)/)
  })

  it('refuse connections past the descriptor limit with a reset, and keep serving', async () => {
    const programs = await prepareEngine('native')
    const server = await startPeer(programs.server, ['--listen', '127.0.0.1:0'], 'server')
    started.push(server)
    const nofile = Number(server.ready.nofile)
    const target = ['--target', `127.0.0.1:${server.ready.port}`]
    const first = await startPeer(programs.client, [...target, '--source', '127.1.210.1:1024-65535'], 'first')
    const second = await startPeer(programs.client, [...target, '--source', '127.1.210.2:1024-65535'], 'second')
    started.push(first, second)
    // Leave the server room for 100 more connections, then ask for 300.
    const room = nofile - 16
    assert.equal((await first.ask(`open ${room - 100}`, 60_000)).established, room - 100)
    await second.ask('open 300', 60_000)
    // A refusal may land after the handshake the client already counted: let the resets arrive.
    await eventually(async () => {
      const seen = await second.ask('count', 5000)
      assert.ok(Number(seen.failed) + Number(seen.peerClosed) > 0, JSON.stringify(seen))
    })
    const count = await server.ask('count', 5000)
    assert.ok(Number(count.rejected) > 0)
    // stdio, epoll, the listener and the spare descriptor take the rest
    assert.ok(Number(count.open) <= nofile - 5 && Number(count.open) >= room - 100, JSON.stringify(count))
    // The refused connections were reset, not closed: none of them waits in TIME_WAIT.
    assert.equal(socketsFrom('127.1.210.2')['06'] ?? 0, 0)
    // and the server still echoes on the connections it holds
    assert.equal((await first.ask('echo', 30_000)).echoed, room - 100)
    await Promise.all([first.stop(), second.stop()])
  })

  it('report a port already taken as an error line', async () => {
    const programs = await prepareEngine('native')
    const first = await startPeer(programs.server, ['--listen', '127.0.0.1:0'], 'first')
    started.push(first)
    await assert.rejects(startPeer(programs.server, ['--listen', `127.0.0.1:${first.ready.port}`], 'second'), /bind: Address already in use/)
  })
})
