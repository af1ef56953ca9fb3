// Fan-out (probes/broadcast.h, client-fanout.h, client-publish.h): the bundled server's broadcast
// to every connection, checked against the server's own count of sends and the test's own clock;
// and a real broker (Debian's mosquitto) fanning a topic out, published by the test itself (not
// c1m) with its own timestamps, then by c1m's --publish, with a subscriber of the test's own.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {FanoutReport} from '../src/core/probe/fanout.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, FIXTURES, runJson} from './helpers.js'
import {probeWithHoldHook} from './independent-rss.js'
import {findProgram, freePort, stopPids, waitForPort} from './server-helpers.js'
import {spawnC1m, stopChild} from './spawn-c1m.js'
import WebSocket from 'ws'

/** CLOCK_MONOTONIC in microseconds, the clock the probes stamp (node's hrtime on Linux). */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)

describe('c1m probe --broadcast-every: the bundled server pushes one frame to every connection', () => {
  it('every broadcast reaches all 600 connections, as the server counted its sends, stamped on the test\'s clock', async () => {
    const conns = 600
    const before = monotonicUs()
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--protocol', 'ws', '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '3500ms', '--broadcast-every', '1s', '--broadcast-size', '512'])
    const afterRun = monotonicUs()
    assertHeld(exitCode, stderr + endNotes(envelope))
    const hold = envelope.result.hold!
    const {broadcasts} = hold.fanout!
    assert.ok(broadcasts.length >= 3 && broadcasts.length <= 4, `3 or 4 broadcasts in 3.5 s, got ${broadcasts.length}`)
    for (const b of broadcasts) {
      assert.equal(b.expected, conns, `broadcast ${b.seq}: the server's own count of sends`)
      assert.equal(b.delivered, b.expected, `broadcast ${b.seq}: delivered to each connection it was sent to`)
      // Stamped by the server on CLOCK_MONOTONIC while the test waited for the run.
      assert.ok(b.sentUs > before && b.sentUs < afterRun, `broadcast ${b.seq} sent at ${b.sentUs}, outside the run ${before}..${afterRun}`)
      assert.ok(b.firstMs <= b.p50Ms + 0.001 && b.p50Ms <= b.p99Ms && b.p99Ms <= b.maxMs && b.maxMs === b.lastMs, JSON.stringify(b))
      assert.ok(b.lastMs < (afterRun - b.sentUs) / 1000, 'received before the run ended')
    }
    // One period apart on the same clock (the server's timer, give or take a loaded machine).
    const gaps = broadcasts.slice(1).map((b, i) => (b.sentUs - broadcasts[i].sentUs) / 1000)
    for (const gap of gaps) assert.ok(gap > 950 && gap < 1300, `broadcasts ${gaps.join(', ')} ms apart`)
    // The clients' own count of the frames pushed during the hold: the broadcasts and nothing else.
    assert.equal(hold.messagesReceived!.events, broadcasts.length * conns)
    assert.equal(hold.messagesReceived!.bytes, broadcasts.length * conns * 512)
  })
})

describe('c1m server --broadcast-every, read by WebSocket clients of the test\'s own (npm ws)', () => {
  it('each client gets every broadcast until it leaves, the server counts exactly those sends, stamped on the test\'s clock', async () => {
    const server = await spawnC1m(['server', '--protocol', 'ws', '--port', '0', '--interval', '100ms', '--broadcast-every', '200ms', '--broadcast-size', '100', '--json'], {waitFor: /listening on 127\.0\.0\.1:(\d+) \(/, timeoutMs: 60_000})
    const clients = 40
    const last = 5
    const seen: Array<Array<{seq: number; delayUs: number; length: number}>> = []
    try {
      await Promise.all(Array.from({length: clients}, (_, i) => new Promise<void>((resolve, reject) => {
        seen[i] = []
        const ws = new WebSocket(`ws://127.0.0.1:${server.match[1]}/`)
        ws.on('error', reject)
        ws.on('message', (data: Buffer) => {
          const atUs = monotonicUs()
          const [token, seq, stamp] = data.toString().split(' ')
          assert.equal(token, 'c1m-fanout')
          seen[i].push({seq: Number(seq), delayUs: atUs - Number(stamp), length: data.length})
          // Leave after the 5th broadcast: the server sends this client no more than 5.
          if (Number(seq) === last) ws.close()
        })
        ws.on('close', () => resolve())
      })))
      const wait = Date.now() + 10_000
      while (!/open 0, accepted 40/.test(server.output.stderr) && Date.now() < wait) await new Promise((r) => setTimeout(r, 50))
    } finally {
      await stopChild(server)
    }
    const {result} = JSON.parse(server.output.stdout)
    for (const got of seen) {
      assert.deepEqual(got.map((m) => m.seq), [1, 2, 3, 4, 5], 'every broadcast, in order, none twice')
      for (const m of got) {
        assert.equal(m.length, 100)
        // The server's CLOCK_MONOTONIC stamp read on the test's own clock: after it, and soon after.
        assert.ok(m.delayUs >= 0 && m.delayUs < 1_000_000, `a delay of ${m.delayUs} us`)
      }
    }
    assert.ok(result.broadcast.broadcasts >= last, JSON.stringify(result.broadcast))
    assert.equal(result.broadcast.sent, clients * last, 'the server\'s own count of sends: 5 to each client')
  })
})

const mosquitto = findProgram('mosquitto')
const skip = mosquitto || process.env.CI ? false : 'mosquitto is not installed (apt-get install mosquitto; .ci/run does)'
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-fanout-'))
const brokers: ChildProcess[] = []
after(async () => {
  await stopPids(brokers.map((b) => b.pid!).filter(Boolean))
  rmSync(dir, {recursive: true, force: true})
})

async function broker(): Promise<{port: number; pid: number}> {
  const port = await freePort()
  const conf = path.join(dir, `${port}.conf`)
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\npersistence false\nuser root\nlog_dest none\n`)
  const child = spawn(mosquitto!, ['-c', conf], {stdio: 'ignore'})
  brokers.push(child)
  await waitForPort(port)
  return {port, pid: child.pid!}
}

/** An MQTT 3.1.1 client of the test's own: CONNECT, then SUBSCRIBE to `topic` when given. */
async function mqttClient(port: number, id: string, topic?: string): Promise<{socket: net.Socket; received: Array<{atUs: number; payload: string}>}> {
  const received: Array<{atUs: number; payload: string}> = []
  const socket = net.connect(port, '127.0.0.1')
  let buffer = Buffer.alloc(0)
  let ready: () => void
  const opened = new Promise<void>((resolve) => {
    ready = resolve
  })
  socket.on('data', (chunk) => {
    const atUs = monotonicUs()
    buffer = Buffer.concat([buffer, chunk])
    // Packets with a remaining length under 128 (one byte): all this test sends or subscribes to.
    while (buffer.length >= 2 && buffer.length >= 2 + buffer[1]) {
      const type = buffer[0] >> 4
      const body = buffer.subarray(2, 2 + buffer[1])
      buffer = buffer.subarray(2 + buffer[1])
      if (type === 2 && !topic) ready!()
      if (type === 9) ready!()
      if (type === 3) received.push({atUs, payload: body.subarray(2 + body.readUInt16BE(0)).toString()})
    }
  })
  const name = Buffer.from(id)
  socket.write(Buffer.concat([Buffer.from([0x10, 12 + name.length, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, name.length]), name]))
  if (topic) socket.write(Buffer.concat([Buffer.from([0x82, 5 + topic.length, 0, 1, 0, topic.length]), Buffer.from(topic), Buffer.from([0])]))
  await opened
  return {socket, received}
}

function publishPacket(topic: string, payload: string): Buffer {
  const body = Buffer.concat([Buffer.from([0, topic.length]), Buffer.from(topic), Buffer.from(payload)])
  return Buffer.concat([Buffer.from([0x30, body.length]), body])
}

// Both engines' clients: the native one (probes/client-fanout.h) and node's (probes/node-fanout.mjs).
for (const engine of ['native', 'node']) describe(`fan-out through mosquitto, --engine ${engine}`, {skip}, () => {
  it('a publisher of the test\'s own: every subscriber\'s receipt is counted, each delay read from the test\'s stamp', async () => {
    const {port, pid} = await broker()
    const conns = 800
    const backdateMs = 400
    let publishedUs = 0
    const {envelope, exitCode, stderr} = await probeWithHoldHook<ProbeRunReport>(['--engine', engine, '--target', `mqtt://127.0.0.1:${port}`, '--server-pid', String(pid), '--mqtt-subscribe', 'c1m/room', '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '4s'], async () => {
      const publisher = await mqttClient(port, 'c1m-test-publisher')
      publishedUs = monotonicUs()
      // Message 1 stamped 400 ms before it goes out: every delay c1m reads from it is at least that.
      publisher.socket.write(publishPacket('c1m/room', `c1m-fanout 1 ${publishedUs - backdateMs * 1000} from the test`))
      publisher.socket.write(publishPacket('c1m/room', `c1m-fanout 2 ${publishedUs} from the test`))
      publisher.socket.write(publishPacket('c1m/room', 'no token here'))
      publisher.socket.end(Buffer.from([0xe0, 0]))
    })
    const endedUs = monotonicUs()
    assertHeld(exitCode, stderr + endNotes(envelope))
    const hold = envelope.result.hold!
    assert.equal(hold.messagesReceived!.events, 3 * conns, 'three PUBLISHes reached each subscriber')
    const {fanout} = hold
    assert.equal(fanout!.source.kind, 'observed')
    assert.deepEqual(fanout!.broadcasts.map((b) => [b.seq, b.delivered, b.expected]), [[1, conns, conns], [2, conns, conns]], 'the message without the token is not timed')
    const [first, second] = fanout!.broadcasts
    assert.equal(first.sentUs, publishedUs - backdateMs * 1000)
    assert.equal(second.sentUs, publishedUs)
    // Each delay is the receipt on c1m's side less the test's stamp: at least the 400 ms the first
    // was backdated by, and no more than the time from the publish to the end of the run.
    const runMs = (endedUs - publishedUs) / 1000
    assert.ok(first.firstMs >= backdateMs && first.maxMs <= backdateMs + runMs, `message 1: ${first.firstMs}..${first.maxMs} ms, run ${runMs} ms`)
    assert.ok(second.firstMs >= 0 && second.maxMs <= runMs && second.maxMs < first.firstMs, `message 2: ${second.firstMs}..${second.maxMs} ms`)
  })

  it('c1m --publish: one connection publishes, every subscriber times it; a subscriber of the test\'s own sees the same messages', async () => {
    const {port, pid} = await broker()
    const conns = 800
    const watcher = await mqttClient(port, 'c1m-test-watcher', 'c1m/room')
    const startedUs = monotonicUs()
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `mqtt://127.0.0.1:${port}`, '--server-pid', String(pid), '--mqtt-subscribe', 'c1m/room', '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '3s', '--publish', 'hello room', '--publish-every', '500ms'])
    const endedUs = monotonicUs()
    watcher.socket.destroy()
    assertHeld(exitCode, stderr + endNotes(envelope))
    const {fanout} = envelope.result.hold!
    assert.deepEqual(fanout!.source, {kind: 'publish', everyMs: 500, text: 'hello room', publisherReceives: true})
    const seen = watcher.received.filter((m) => m.payload.startsWith('c1m-fanout '))
    assert.ok(fanout!.broadcasts.length >= 5, `6 or 7 messages in 3 s, got ${fanout!.broadcasts.length}`)
    assert.equal(seen.length, fanout!.broadcasts.length, 'the test\'s own subscriber got each message c1m timed')
    for (const [i, b] of fanout!.broadcasts.entries()) {
      const mine = seen[i]
      const [, seq, stamp, ...text] = mine.payload.split(' ')
      assert.equal(Number(seq), b.seq)
      assert.equal(text.join(' '), 'hello room')
      assert.equal(b.delivered, conns, `message ${b.seq}: every subscriber, the publisher among them`)
      assert.equal(b.expected, conns)
      assert.equal(b.sentUs, Number(stamp), 'the stamp the test read in the message')
      assert.ok(Number(stamp) > startedUs && mine.atUs < endedUs, 'published during the run, on the test\'s clock')
      assert.ok(b.maxMs * 1000 < endedUs - Number(stamp), `message ${b.seq}: a delay longer than the run after it`)
    }
  })

  it('c1m client --publish: the same through c1m client; the test\'s subscriber sees each message it timed', async () => {
    const {port} = await broker()
    const conns = 300
    const watcher = await mqttClient(port, 'c1m-test-watcher-2', 'c1m/lobby')
    const {envelope, exitCode, stderr} = await runJson<{fanout: FanoutReport}>(['client', '--engine', engine, '--target', `mqtt://127.0.0.1:${port}`, '--mqtt-subscribe', 'c1m/lobby', '--conns', String(conns), '--steps', '1', '--hold', '2s', '--publish', 'lobby news', '--publish-every', '400ms'])
    watcher.socket.destroy()
    assert.equal(exitCode, 0, stderr)
    const {broadcasts} = envelope.result.fanout
    const seen = watcher.received.filter((m) => m.payload.startsWith('c1m-fanout '))
    assert.ok(broadcasts.length >= 4, `about 5 messages in 2 s, got ${broadcasts.length}`)
    assert.deepEqual(seen.map((m) => Number(m.payload.split(' ')[2])), broadcasts.map((b) => b.sentUs), 'the same messages, with the same stamps')
    for (const b of broadcasts) assert.equal(b.delivered, conns, `message ${b.seq}`)
  })
})

describe('c1m probe --publish through a WebSocket relay of the test\'s own (npm ws)', () => {
  it('each message the relay passes on is timed by every connection, as many as the relay says it sent', async () => {
    const relay = spawn(process.execPath, [path.join(FIXTURES, 'ws-relay.mjs')], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    relay.stdout!.on('data', (chunk: Buffer) => (out += chunk))
    try {
      const deadline = Date.now() + 20_000
      while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      const {port} = JSON.parse(out.split('\n')[0]) as {port: number}
      const conns = 300
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--target', `ws://127.0.0.1:${port}/`, '--server-pid', String(relay.pid), '--no-echo', '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '2s', '--publish', 'to everyone', '--publish-every', '400ms'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const exited = new Promise((resolve) => relay.on('exit', resolve))
      relay.kill('SIGTERM')
      await exited
      const counts = JSON.parse(out.trim().split('\n').at(-1)!) as {received: number; relayed: number}
      const {broadcasts} = envelope.result.hold!.fanout!
      assert.equal(counts.received, broadcasts.length, 'the relay got each message c1m published, and no other')
      assert.equal(counts.relayed, broadcasts.length * conns, 'the relay sent each to every connection')
      for (const b of broadcasts) assert.equal(b.delivered, conns, `message ${b.seq}: every connection, the publisher too`)
    } finally {
      if (relay.exitCode === null) relay.kill('SIGKILL')
    }
  })
})
