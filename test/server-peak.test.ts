import assert from 'node:assert/strict'
import net from 'node:net'
import {after, describe, it} from 'node:test'

import {prepareEngine} from '../src/probe/engine.js'
import {type Peer, startPeer} from '../src/probe/peer.js'
import type {Engine} from '../src/core/probe/run-report.js'
import {childPids, openFds} from './server-helpers.js'
import {eventually, spawnC1m} from './spawn-c1m.js'

const BURST = 300

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
      await eventually(async () => {
        const count = await server.ask('count', 5000)
        assert.deepEqual([count.open, count.accepted, count.peakOpen], [0, BURST, BURST])
      }, {everyMs: 20})
    })

    it('c1m server reports that peak, not the open count it happened to sample', async () => {
      // One sample an hour: the only samples are at the start and after the burst has closed.
      const server = await spawnC1m(['server', '--port', '0', '--interval', '1h', '--engine', engine, '--json'], {waitFor: /listening on [\d.]+:(\d+) \(/, timeoutMs: 30_000})
      try {
        const [worker] = childPids(server.child.pid!)
        const idle = openFds(worker)
        await burst(Number(server.match[1]), BURST)
        // The worker has seen the resets (its descriptors are back): a sampled peak would now read 0.
        await eventually(() => openFds(worker) <= idle, {timeoutMs: 20_000, what: 'the worker closing the burst'})
      } finally {
        server.child.kill('SIGINT')
      }
      assert.equal(await server.exited, 0)
      const {result} = JSON.parse(server.output.stdout)
      assert.deepEqual([result.accepted, result.peakOpen], [BURST, BURST])
    })
  })
}
