import assert from 'node:assert/strict'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {after, before, describe, it} from 'node:test'

import {hasOpenSsl, prepareEngine, type EnginePrograms, type Program} from '../src/probe/engine.js'
import {type Peer, startPeer} from '../src/probe/peer.js'
import type {Role} from '../src/probe/wire.js'
import './helpers.js' // the shared test build cache (XDG_CACHE_HOME)
import {eventually} from './spawn-c1m.js'

/**
 * The native programs built with AddressSanitizer and UndefinedBehaviorSanitizer (C1M_CFLAGS), each
 * error fatal: a program that reads or writes out of bounds, or overflows, dies, and the command
 * it was answering fails. One run per protocol of the bundled server, and long-poll against a
 * server here; test/probe-codecs.test.ts runs the codecs under the same flags.
 */
const SANITIZE = '-fsanitize=address,undefined -fno-sanitize-recover=all -g'
const started: Peer[] = []
let programs: EnginePrograms
let poll: http.Server

before(async () => {
  const old = process.env.C1M_CFLAGS
  process.env.C1M_CFLAGS = SANITIZE
  try {
    programs = await prepareEngine('native')
  } finally {
    if (old === undefined) delete process.env.C1M_CFLAGS
    else process.env.C1M_CFLAGS = old
  }
  // Long-poll answers in turn: 200 by Content-Length, 200 chunked, 204.
  let answers = 0
  poll = http.createServer((request, response) => {
    setTimeout(() => {
      const turn = answers++ % 3
      if (turn === 0) response.writeHead(200, {'Content-Length': '3'}).end('one')
      else if (turn === 1) response.writeHead(200).end('two, chunked')
      else response.writeHead(204).end()
    }, 20)
  })
  await new Promise<void>((resolve) => poll.listen(0, '127.0.0.1', resolve))
})
after(async () => {
  await Promise.all(started.map((peer) => peer.stop()))
  poll?.closeAllConnections()
  poll?.close()
})

async function peer<R extends Role>(which: R, args: string[]): Promise<Peer<R>> {
  const running = await startPeer(programs[which] as Program<R>, args, which, 30_000)
  started.push(running)
  return running
}

describe('the native programs under ASan and UBSan', () => {
  for (const [protocol, tls] of [['tcp', false], ['ws', false], ['sse', false], ['stream', false], ['tcp', true], ['ws', true]] as const) {
    const name = `${protocol}${tls ? ' over TLS' : ''}`
    it(`${name}: open, echo, traffic and quit on the bundled server`, {skip: tls && !hasOpenSsl() ? 'no OpenSSL headers' : false}, async () => {
      const server = await peer('server', ['--listen', '127.0.0.1:0', '--protocol', protocol, ...(tls ? ['--tls'] : [])])
      const client = await peer('client', ['--target', `127.0.0.1:${server.ready.port}`, '--protocol', protocol, ...(tls ? ['--tls', '--insecure'] : [])])
      const opened = await client.ask('open 50', 60_000)
      assert.deepEqual([opened.established, opened.failed, opened.refused], [50, 0, 0], String(opened.error))
      if (protocol === 'tcp' || protocol === 'ws') {
        const echo = await client.ask('echo', 60_000)
        assert.equal(echo.echoed, 50)
        await client.ask('traffic 300 20', 10_000)
        await new Promise((resolve) => setTimeout(resolve, 200))
        const traffic = await client.ask('traffic 0 0', 30_000)
        assert.ok(Number(traffic.bytesSent) > 0 && traffic.bytesReceived === traffic.bytesSent, JSON.stringify(traffic))
        // --rate: slots spread over the connections, each echo timed into the latency histogram.
        await client.ask('traffic 300 0 500', 10_000)
        await new Promise((resolve) => setTimeout(resolve, 200))
        const spread = await client.ask('traffic 0 0', 30_000)
        assert.ok(Number(spread.bytesSent) > 0 && spread.bytesReceived === spread.bytesSent && spread.lost === 0 && spread.latencyHist !== '', JSON.stringify(spread))
      } else {
        assert.ok(Number((await client.ask('count', 10_000)).pushedEvents) >= 50)
      }
      assert.equal((await client.stop(30_000))?.established, 0)
      assert.equal((await server.stop(30_000))?.open, 0)
    })
  }

  it('long-poll: answers by length, chunked and 204, each asked again', async () => {
    const {port} = poll.address() as AddressInfo
    const client = await peer('client', ['--target', `127.0.0.1:${port}`, '--protocol', 'long-poll'])
    assert.equal((await client.ask('open 20', 60_000)).established, 20)
    const count = await eventually(async () => {
      const now = await client.ask('count', 10_000)
      assert.ok(Number(now.pushedEvents) >= 60, JSON.stringify(now))
      return now
    }, {timeoutMs: 15_000})
    assert.deepEqual([count.established, count.refused], [20, 0])
    await client.stop(30_000)
  })
})
