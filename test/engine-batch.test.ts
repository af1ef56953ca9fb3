// The native engines' batches (probes/uring.h): the server's epoll registrations, and with --batch
// the client's connects linked to theirs, go to the kernel in one io_uring submission. Batched or
// one call at a time, the same connections must open, echo and close; a refused connect and the
// open timeout must leave no descriptor behind. Each is checked against the test's own reading of
// /proc/PID/fd and /proc/PID/net/tcp.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, readlinkSync} from 'node:fs'
import net from 'node:net'
import {after, describe, it} from 'node:test'

import {execa, type ResultPromise} from 'execa'

import {procNetAddress} from '../src/host/read/accept-queue.js'
import {prepareEngine} from '../src/probe/engine.js'
import './helpers.js' // the shared test build cache (XDG_CACHE_HOME)
import {type Peer, startPeer} from '../src/probe/peer.js'

const started: Peer[] = []
const listeners: ResultPromise[] = []
after(async () => {
  await Promise.all(started.map((peer) => peer.stop()))
  for (const listener of listeners) listener.kill('SIGKILL')
})

/** A process's sockets (its stdio pipes are sockets too) and io_uring instances, from /proc/PID/fd. */
function descriptors(pid: number): {sockets: number; rings: number} {
  const links = readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`)
    } catch {
      return '' // closed while listed
    }
  })
  return {sockets: links.filter((l) => l.startsWith('socket:')).length, rings: links.filter((l) => l === 'anon_inode:[io_uring]').length}
}

/** TCP sockets to 127.0.0.1:port in a state ('01' established, '02' SYN_SENT), in the process's namespace. */
function socketsTo(pid: number, port: number, state = '01'): number {
  const remote = procNetAddress('127.0.0.1', port)
  return readFileSync(`/proc/${pid}/net/tcp`, 'utf8').trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/)).filter((f) => f[3] === state && f[2] === remote).length
}

async function start<R extends 'client' | 'server'>(role: R, args: string[], name: string): Promise<Peer<R>> {
  const programs = await prepareEngine('native')
  const peer = (await startPeer(programs[role], args, name)) as Peer<R>
  started.push(peer)
  return peer
}

/** A free loopback port nothing listens on (the kernel's pick, released). */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const {port} = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('the native engines in batches and one call at a time', () => {
  for (const [serverArgs, clientArgs, serverBatch, clientBatch] of [
    [[], ['--batch'], 1024, 64],
    [['--no-batch'], [], 0, 0],
  ] as const) {
    it(`open, echo and close the same connections (server ${serverBatch || 'one by one'}, client ${clientBatch || 'one by one'})`, async () => {
      const server = await start('server', ['--listen', '127.0.0.1:0', ...serverArgs], 'server')
      const client = await start('client', ['--target', `127.0.0.1:${server.ready.port}`, '--inflight', '100', ...clientArgs], 'client')
      // The ready lines say which way each works, and the processes hold a ring exactly when batched.
      assert.equal(server.ready.batch, serverBatch)
      assert.equal(client.ready.batch, clientBatch)
      assert.equal(descriptors(server.pid).rings, serverBatch ? 1 : 0)
      assert.equal(descriptors(client.pid).rings, clientBatch ? 1 : 0)
      const clientBase = descriptors(client.pid).sockets
      const serverBase = descriptors(server.pid).sockets // its stdio and the listener

      const opened = await client.ask('open 700', 30_000)
      assert.equal(opened.established, 700)
      assert.equal(opened.failed, 0)
      assert.equal(opened.attempts, 700)
      assert.equal(socketsTo(client.pid, server.ready.port), 700)
      assert.equal(descriptors(client.pid).sockets - clientBase, 700)
      const counted = await server.ask('count', 10_000)
      assert.equal(counted.accepted, 700)
      assert.equal(counted.open, 700)
      assert.equal(descriptors(server.pid).sockets - serverBase, 700)

      const echo = await client.ask('echo', 30_000)
      assert.equal(echo.echoed, 700)
      assert.equal((await server.ask('count', 10_000)).bytes, 700 * 16)

      // As the probe closes: the client detaches, the server resets every connection, the client closes its
      // descriptors. Both close in batches when batched; either way nothing is left open.
      await client.ask('detach', 10_000)
      assert.equal((await server.ask('close', 30_000)).closed, 700)
      assert.equal(descriptors(server.pid).sockets, serverBase)
      await client.ask('close', 30_000)
      assert.equal(descriptors(client.pid).sockets, clientBase)
      assert.equal(socketsTo(client.pid, server.ready.port), 0)
    })
  }

  it('binds each connection of a batch to the next source pair, skipping a port another socket holds', async () => {
    const server = await start('server', ['--listen', '127.0.0.1:0'], 'server')
    const target = `127.0.0.1:${server.ready.port}`
    const holder = await start('client', ['--target', target, '--source', '127.1.237.1:32000-32000'], 'holder')
    assert.equal((await holder.ask('open 1', 10_000)).established, 1)
    // Without SO_REUSEADDR the batch's bind of 32000 fails (dropped, counted); the next socket takes 32001.
    const client = await start('client', ['--target', target, '--source', '127.1.237.1:32000-32300', '--no-reuseaddr', '--batch'], 'batched client')
    assert.equal(client.ready.batch, 64)
    const opened = await client.ask('open 300', 30_000)
    assert.equal(opened.established, 300)
    assert.equal(opened.addrInUse, 1)
    assert.equal(opened.failed, 0)
    const [hex] = procNetAddress('127.1.237.1', 0).split(':')
    const ports = readFileSync(`/proc/${client.pid}/net/tcp`, 'utf8').trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/)).filter((f) => f[3] === '01' && f[1].startsWith(`${hex}:`)).map((f) => Number.parseInt(f[1].split(':')[1], 16)).sort((a, b) => a - b)
    // The holder's 32000, then the batch's 32001-32300, each once.
    assert.deepEqual(ports, [32000, ...Array.from({length: 300}, (_, i) => 32001 + i)])
    // Every pair used: the next open stops there, not on an error.
    const more = await client.ask('open 400', 30_000)
    assert.equal(more.established, 300)
    assert.equal(more.sourcesLeft, false)
    assert.equal(more.failed, 0)
  })

  it('counts a refused connect in a batch as failed, with its error, and keeps no descriptor', async () => {
    const port = await closedPort()
    const client = await start('client', ['--target', `127.0.0.1:${port}`, '--batch', '--open-timeout', '10'], 'refused client')
    assert.equal(client.ready.batch, 64)
    const base = descriptors(client.pid).sockets
    const opened = await client.ask('open 100', 30_000)
    assert.equal(opened.established, 0)
    assert.equal(opened.failed, opened.attempts)
    assert.ok(opened.failed >= 64, `gives up after 64 failures, failed ${opened.failed}`)
    assert.equal(opened.error, 'connect: Connection refused')
    assert.equal(descriptors(client.pid).sockets, base)
  })

  it('cancels the connects still under way at the open timeout and keeps only the established', async () => {
    // A listener that never calls accept(): its queue holds one connection, then SYNs are dropped.
    const listener = execa('python3', ['-c', 'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)\n'], {reject: false, timeout: 60_000, stdin: 'ignore'})
    listeners.push(listener)
    const port = await new Promise<number>((resolve) => listener.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))))
    for (const batch of [true, false]) {
      const client = await start('client', ['--target', `127.0.0.1:${port}`, '--open-timeout', '1', ...(batch ? ['--batch'] : [])], `client ${batch ? 'batched' : 'one by one'}`)
      const base = descriptors(client.pid).sockets
      const begun = Date.now()
      const opened = await client.ask('open 20', 30_000)
      assert.ok(Date.now() - begun < 8000, `the open timeout of 1 s ended the open (${Date.now() - begun} ms)`)
      assert.equal(opened.error, 'connect: Connection timed out')
      assert.ok(opened.established < 20, `established ${opened.established}`)
      assert.equal(opened.established + opened.failed, 20)
      // The test's own reading: the client holds exactly the connections it counts, no SYN_SENT left.
      assert.equal(descriptors(client.pid).sockets - base, opened.established)
      // A connect io_uring still held would keep its socket in SYN_SENT after the descriptor's close.
      assert.equal(socketsTo(client.pid, port, '02'), 0)
      assert.equal((await client.ask('count', 10_000)).established, opened.established)
      await client.stop()
    }
  })
})
