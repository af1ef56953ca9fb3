// c1m against a real RabbitMQ (Debian's rabbitmq-server from a temp directory, test/rabbitmq-fixture.ts),
// each figure checked against the broker's own account (rabbitmqctl): its MQTT plugin as a second MQTT
// broker beside mosquitto (probe-mqtt.test.ts), and STOMP 1.2 over WebSocket on web-stomp (--app stomp).
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes} from './helpers.js'
import {probeWithHoldHook} from './independent-rss.js'
import {alive, type Rabbit, rabbitmqServer, startRabbit} from './rabbitmq-fixture.js'

const skip = rabbitmqServer || process.env.CI ? false : 'rabbitmq-server is not installed (apt-get install rabbitmq-server; .ci/run does)'
let rabbit: Rabbit

describe('c1m probe against RabbitMQ', {skip}, () => {
  before(async () => {
    rabbit = await startRabbit()
  }, {timeout: 120_000})
  after(async () => {
    if (!rabbit) return
    const stopped = await rabbit.stop()
    assert.deepEqual(stopped.filter((p) => alive(p)), [], 'the broker, its helpers and its epmd are gone')
  }, {timeout: 60_000})

  for (const engine of ['native', 'node']) {
    it(`--engine ${engine} --target mqtt://: the MQTT plugin lists every connection c1m holds`, {timeout: 120_000}, async () => {
      const conns = 400
      let listed = -1
      const {envelope, exitCode, stderr} = await probeWithHoldHook<ProbeRunReport>(['--engine', engine, '--target', `mqtt://127.0.0.1:${rabbit.ports.mqtt}`, '--server-pid', String(rabbit.pid), '--conns', String(conns), '--steps', '2', '--settle', '200ms', '--hold', '8s'], async () => {
        listed = await rabbit.mqttClients()
      })
      assertHeld(exitCode, stderr + endNotes(envelope))
      assert.equal(listed, conns, "RabbitMQ's own count during the hold")
      assert.equal(envelope.result.hold!.dropped, 0)
      assert.equal(envelope.result.echo?.echoed, conns, 'each answered PINGREQ with PINGRESP')
      assert.ok(envelope.result.fit.server.bytesPerConn > 0, 'the broker grows with its clients')
    })
  }
})
