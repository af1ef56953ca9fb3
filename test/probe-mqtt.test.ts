// MQTT in the native engine, against a real broker: Debian's mosquitto, run from a temp
// directory on a loopback port (.ci/run installs it). A connection counts once CONNACK 0
// arrived; a broker that refuses (CONNACK 5, not authorized) is a failure with the packet quoted.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, runJson} from './helpers.js'
import {probeWithHoldHook} from './independent-rss.js'
import {findProgram, freePort, startNodeServer, stopPids, waitForPort} from './server-helpers.js'

const mosquitto = findProgram('mosquitto')
const skip = mosquitto || process.env.CI ? false : 'mosquitto is not installed (apt-get install mosquitto; .ci/run does)'
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-mqtt-'))
const brokers: ChildProcess[] = []
const extraPids: number[] = []
after(async () => {
  await stopPids([...brokers.map((b) => b.pid!).filter(Boolean), ...extraPids])
  rmSync(dir, {recursive: true, force: true})
})

async function broker(name: string, anonymous: boolean, extra = 'log_dest none\n'): Promise<{port: number; pid: number}> {
  const port = await freePort()
  const conf = path.join(dir, `${name}.conf`)
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous ${anonymous}\nmax_connections -1\npersistence false\nuser root\n${extra}`)
  const child = spawn(mosquitto!, ['-c', conf], {stdio: 'ignore'})
  brokers.push(child)
  await waitForPort(port)
  return {port, pid: child.pid!}
}

/** Publish `count` QoS 0 messages to `topic` as a client of its own (CONNECT, PUBLISH..., DISCONNECT). */
async function publish(port: number, topic: string, count: number): Promise<void> {
  const id = Buffer.from('c1m-test-publisher')
  const connect = Buffer.concat([Buffer.from([0x10, 12 + id.length, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 0, 0, id.length]), id])
  const body = Buffer.concat([Buffer.from([0, topic.length]), Buffer.from(topic), Buffer.from('hello')])
  const packet = Buffer.concat([Buffer.from([0x30, body.length]), body])
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.on('error', reject)
    socket.once('data', () => {
      for (let i = 0; i < count; i++) socket.write(packet)
      socket.end(Buffer.from([0xe0, 0]), () => resolve())
    })
    socket.write(connect)
  })
}

// Both engines: the native client, and the node client (probes/echo-client.mjs).
for (const engine of ['native', 'node']) {
  describe(`c1m probe --engine ${engine} --target mqtt:// against mosquitto`, {skip}, () => {
    it('--mqtt-keepalive 2: CONNECT carries it and the pings keep every connection through a 5 s hold', async () => {
      const log = path.join(dir, `${engine}-keepalive.log`)
      const {port, pid} = await broker('keepalive', true, `log_dest file ${log}\nlog_type all\n`)
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `mqtt://127.0.0.1:${port}`, '--server-pid', String(pid), '--mqtt-keepalive', '2', '--conns', '300', '--steps', '2', '--settle', '100ms', '--hold', '5s'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      assert.equal(envelope.result.hold!.dropped, 0, 'a broker drops a client silent for 1.5 keepalives')
      assert.match(readFileSync(log, 'utf8'), /as c1m-\d+-\d+ \(p2, c1, k2\)/)
    })

    it('--mqtt-subscribe: every connection subscribes, and what is published to the topic during the hold is counted', async () => {
      const {port, pid} = await broker('subscribe', true)
      const conns = 1000
      const {envelope, exitCode, stderr} = await probeWithHoldHook<ProbeRunReport>(['--engine', engine, '--target', `mqtt://127.0.0.1:${port}`, '--server-pid', String(pid), '--mqtt-subscribe', 'c1m/news', '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '3s'], () => publish(port, 'c1m/news', 3))
      assertHeld(exitCode, stderr + endNotes(envelope))
      assert.equal(envelope.result.hold!.messagesReceived!.events, 3 * conns, 'three PUBLISHes to each subscriber')
      assert.equal(envelope.result.hold!.echo!.echoed, conns)
    })

    it('--message-size: each connection publishes to a topic of its own and the broker sends every message back', async () => {
      const log = path.join(dir, `${engine}-traffic.log`)
      const {port, pid} = await broker('traffic', true, `log_dest file ${log}\nlog_type all\n`)
      const conns = 200
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `mqtt://127.0.0.1:${port}`, '--server-pid', String(pid), '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '1s', '--message-size', '300', '--interval', '200ms'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const hold = envelope.result.hold!
      const t = hold.traffic!
      // 5 or 6 rounds in 1 s on an idle host; a loaded one fires the timers late: what is certain is
      // that they recur.
      assert.ok(t.rounds >= 2, `${t.rounds} rounds`)
      assert.equal(t.bytesSent, t.rounds * 300 * conns)
      assert.equal(t.bytesReceived, t.bytesSent, 'every PUBLISH came back')
      assert.equal(hold.messagesReceived!.events, 0, 'its own echoes are not messages pushed to the clients')
      assert.equal(hold.dropped, 0)
      // The broker's own account: each round a PUBLISH from every connection on its own topic, and one back.
      await stopPids([pid])
      const text = readFileSync(log, 'utf8')
      const received = text.match(/Received PUBLISH from (c1m-\d+-\d+) \(d0, q0, r0, m0, 'c1m\/echo\/\d+-\d+', \.\.\. \(300 bytes\)\)/g) ?? []
      const sent = text.match(/Sending PUBLISH to c1m-\d+-\d+ \(d0, q0, r0, m0, 'c1m\/echo\/\d+-\d+', \.\.\. \(300 bytes\)\)/g) ?? []
      assert.equal(received.length, t.rounds * conns)
      assert.equal(sent.length, t.rounds * conns)
      // One echo latency for each PUBLISH the broker sent back, none lost.
      assert.equal(t.latency!.count, sent.length)
      assert.equal(t.latency!.lost, 0)
    })

    it('--rate 300/s: PUBLISHes spread over the connections, one echo latency for each the broker sent back', async () => {
      const log = path.join(dir, `${engine}-rate.log`)
      const {port, pid} = await broker('rate', true, `log_dest file ${log}\nlog_type all\n`)
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `mqtt://127.0.0.1:${port}`, '--server-pid', String(pid), '--conns', '200', '--steps', '2', '--settle', '100ms', '--hold', '2s', '--message-size', '300', '--rate', '300/s'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const t = envelope.result.hold!.traffic!
      await stopPids([pid])
      const text = readFileSync(log, 'utf8')
      const sent = text.match(/Sending PUBLISH to c1m-\d+-\d+ \(d0, q0, r0, m0, 'c1m\/echo\/\d+-\d+', \.\.\. \(300 bytes\)\)/g) ?? []
      const received = text.match(/Received PUBLISH from c1m-\d+-\d+ \(d0, q0, r0, m0, 'c1m\/echo\/\d+-\d+', \.\.\. \(300 bytes\)\)/g) ?? []
      assert.equal(t.rate, 300)
      assert.ok(received.length >= 300 && received.length <= 660, `${received.length} PUBLISHes in a 2 s hold at 300/s`)
      assert.equal(t.latency!.count, sent.length)
      assert.equal(t.latency!.count + t.latency!.lost, received.length)
    })

    it('every connection gets CONNACK 0 and answers PINGREQ with PINGRESP', async () => {
      const {port, pid} = await broker('open', true)
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `mqtt://127.0.0.1:${port}`, '--server-pid', String(pid), '--conns', '3000', '--steps', '2', '--settle', '200ms'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      assert.equal(envelope.result.protocol, 'mqtt')
      assert.equal(envelope.result.echo?.echoed, 3000)
      assert.ok(envelope.result.fit.server.bytesPerConn > 0, 'the broker grows with its clients')
    })

    it('a broker that refuses anonymous clients: CONNACK 5 quoted, exit 10, no connection counted', async () => {
      const {port, pid} = await broker('closed', false)
      const {envelope, exitCode} = await runJson(['probe', '--engine', engine, '--target', `mqtt://127.0.0.1:${port}`, '--server-pid', String(pid), '--conns', '200', '--steps', '2'])
      assert.equal(exitCode, 10)
      assert.equal(envelope.error?.code, 'E_PROBE_FAILED')
      assert.match(envelope.error!.message, /the server refused \d+ connections: it answered the MQTT CONNECT with " \\x02\\x00\\x05"/)
      assert.match(envelope.error!.suggestion!, /allow_anonymous/)
    })
  })
}

// mosquitto 2.0 grants every subscription and applies its ACL on delivery, so a broker that
// refuses one is written here: CONNACK 0, then SUBACK with 0x80 (failure) for the one topic.
const REFUSING_BROKER = `
const net = require('node:net')
const server = net.createServer((c) => {
  c.on('error', () => {})
  c.on('data', (d) => {
    if (d[0] === 0x10) c.write(Buffer.from([0x20, 2, 0, 0]))
    if (d[0] === 0x82) c.write(Buffer.from([0x90, 3, d[2], d[3], 0x80]))
  })
})
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port))`

describe('c1m probe --mqtt-subscribe against a broker that refuses the subscription', () => {
  for (const engine of ['native', 'node']) {
    it(`--engine ${engine}: SUBACK 0x80 is a refusal with the packet quoted, exit 10`, async () => {
      const {port, pid} = await startNodeServer(REFUSING_BROKER)
      extraPids.push(pid)
      const {envelope, exitCode} = await runJson(['probe', '--engine', engine, '--target', `mqtt://127.0.0.1:${port}`, '--server-pid', String(pid), '--mqtt-subscribe', 'c1m/news', '--conns', '200', '--steps', '2'])
      assert.equal(exitCode, 10)
      assert.match(envelope.error!.message, /the server refused \d+ connections: it answered the MQTT CONNECT with "\\x90\\x03\\x00\\x01\\x80"/)
    })
  }
})
