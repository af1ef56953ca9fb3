import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {on} from 'node:events'
import net from 'node:net'
import path from 'node:path'
import type {Readable} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, describe, it} from 'node:test'

import {prepareEngine} from '../src/probe/engine.js'
import {type Peer, startPeer} from '../src/probe/peer.js'
import type {Engine} from '../src/core/probe/run-report.js'
import {REPO_ROOT} from './helpers.js'

const BURST = 300

/** All a stream says until it ends. */
async function text(stream: Readable): Promise<string> {
  let all = ''
  for await (const chunk of stream) all += chunk
  return all
}

/** The first match of pattern in what a stream says, within ms. */
async function firstMatch(stream: Readable, pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  let said = ''
  for await (const [chunk] of on(stream, 'data', {signal: AbortSignal.timeout(ms)})) {
    said += chunk
    const match = pattern.exec(said)
    if (match) return match
  }
  throw new Error(`no line matching ${pattern} in: ${said}`)
}

/**
 * Open `count` connections to port at once and wait until each has had one byte echoed (so the server
 * has accepted every one), then reset them all.
 */
async function burst(port: number, count: number): Promise<void> {
  const sockets = await Promise.all(Array.from({length: count}, () => new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({host: '127.0.0.1', port}, () => socket.write('x'))
    socket.once('data', () => resolve(socket))
    socket.once('error', reject)
    socket.setTimeout(20_000, () => reject(new Error('no echo in 20 s')))
  })))
  for (const socket of sockets) socket.resetAndDestroy()
}

const started: Peer[] = []
after(async () => {
  await Promise.all(started.map((peer) => peer.stop()))
})

for (const engine of ['native', 'node'] as Engine[]) {
  describe(`${engine} echo server: the most connections open at once`, () => {
    it('counts a burst opened and closed between two count commands', async () => {
      const programs = await prepareEngine(engine)
      const server = await startPeer(programs.server, ['--listen', '127.0.0.1:0'], 'server')
      started.push(server)
      await burst(Number(server.ready.port), BURST)
      let count = await server.ask('count', 5000)
      for (let tries = 0; count.open !== 0 && tries < 200; tries++) {
        await sleep(20)
        count = await server.ask('count', 5000)
      }
      assert.deepEqual([count.open, count.accepted, count.peakOpen], [0, BURST, BURST])
    })

    it('c1m server reports that peak, not the open count it happened to sample', async () => {
      // One sample an hour: the only samples are at the start and after the burst has closed.
      const args = ['server', '--port', '0', '--interval', '1h', '--engine', engine, '--json']
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/run.js'), ...args], {stdio: ['ignore', 'pipe', 'pipe']})
      const output = text(child.stdout)
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
      try {
        const listening = await firstMatch(child.stderr, /listening on [\d.]+:(\d+) \(/, 30_000)
        await burst(Number(listening[1]), BURST)
        await sleep(300) // the server sees the resets; a sampled peak would now read 0
      } finally {
        child.kill('SIGINT')
      }
      assert.equal(await exited, 0)
      const {result} = JSON.parse(await output)
      assert.deepEqual([result.accepted, result.peakOpen], [BURST, BURST])
    })
  })
}
