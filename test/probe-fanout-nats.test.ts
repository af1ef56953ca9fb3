// --publish through a real NATS server (Debian's nats-server), both engines: one connection PUBs
// to --subject every 500 ms, every other connection (NATS does not echo to the publisher: c1m's
// CONNECT says echo false) times each message. The server's own counters (/varz in_msgs and
// out_msgs, read before and after) must show exactly the messages c1m says it published and
// the deliveries c1m counted.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, runJson} from './helpers.js'
import {findProgram, scratch, startNats} from './server-helpers.js'

const skip = findProgram('nats-server') || process.env.CI ? false : 'nats-server is not installed (.ci/run installs it)'
const servers = scratch('c1m-fanout-nats-')

/** The server's message counters: received from publishers, sent to subscribers. */
async function varz(monitor: number): Promise<{in: number; out: number}> {
  const v = (await (await fetch(`http://127.0.0.1:${monitor}/varz`)).json()) as {in_msgs: number; out_msgs: number}
  return {in: v.in_msgs, out: v.out_msgs}
}

for (const engine of ['native', 'node']) {
  describe(`c1m probe --publish through nats-server, --engine ${engine}`, {skip}, () => {
    it('every subscriber but the publisher times each PUB; nats-server counted the same messages and deliveries', async () => {
      const {pid, port, monitor} = await startNats(servers)
      const conns = 400
      const before = await varz(monitor)
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `127.0.0.1:${port}`, '--server-pid', String(pid), '--app', 'nats', '--subject', 'room.1', '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', '2500ms', '--publish', 'hello room', '--publish-every', '500ms'])
      const afterRun = await varz(monitor)
      assertHeld(exitCode, stderr + endNotes(envelope))
      const {fanout} = envelope.result.hold!
      const broadcasts = fanout!.broadcasts
      assert.ok(broadcasts.length >= 5 && broadcasts.length <= 7, `about 6 messages in 2.5 s, got ${broadcasts.length}`)
      assert.deepEqual(broadcasts.map((b) => b.seq), broadcasts.map((_, i) => i + 1))
      for (const b of broadcasts) {
        assert.equal(b.expected, conns - 1, 'every connection but the publisher')
        assert.equal(b.delivered, conns - 1, `message ${b.seq}`)
        assert.ok(b.firstMs <= b.p50Ms + 0.001 && b.p50Ms <= b.p99Ms && b.p99Ms <= b.maxMs, JSON.stringify(b))
      }
      assert.equal(afterRun.in - before.in, broadcasts.length, 'nats-server received each PUB c1m timed, and no other')
      assert.equal(afterRun.out - before.out, broadcasts.reduce((n, b) => n + b.delivered, 0), 'nats-server delivered each message c1m timed, and no other')
    })
  })
}
