import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {runJson} from './helpers.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'

const isRoot = process.getuid?.() === 0
// A bound far above what settling takes: the old fixed sleep of --settle after every step would
// have made the waits last at least this long each.
const BOUND_S = 3

describe('c1m probe settles on the counters and closes every connection', () => {
  for (const engine of ['native', 'node']) {
    it(`${engine}: each wait ends once the servers hold what the clients counted, well inside --settle`, async () => {
      const conns = 6000
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--conns', String(conns), '--steps', '3', '--settle', `${BOUND_S}s`])
      // 13: other work moved the host's slab so the fit is no measurement; settle and close still ran.
      assert.ok(exitCode === 0 || exitCode === 13, stderr)
      const report = envelope.result
      const settle = report.settle!
      const waits = settle.counters + settle.bound + settle.sleep
      assert.equal(waits, 4, 'one wait before the first sample and one after each step')
      assert.equal(settle.sleep, 0)
      // Other work on a shared host can keep the slab moving past a bound; on a quiet one every wait ends on
      // the counters. A fixed sleep would end none on them and take waits x the bound.
      assert.ok(settle.counters >= 1, `${settle.counters} of ${waits} waits ended on the counters`)
      assert.ok(settle.seconds < waits * BOUND_S, `settle took ${settle.seconds} s, as long as the old fixed sleeps`)
      for (const step of report.steps.filter((s) => s.settledOn === 'counters')) assert.ok(step.settleSeconds! < BOUND_S, `step ${step.step} settled in ${step.settleSeconds} s`)
      assert.equal(report.phases!.settleSeconds >= settle.seconds, true)
      // The counters matched at each sample: the servers held every connection the clients counted,
      // and the namespace's own count of TCP sockets says the same (both ends, and a listener a server).
      const listeners = report.plan.processesPerSide
      for (const sample of report.samples) {
        assert.equal(sample.established, sample.conns)
        if (isRoot) assert.equal(sample.sockstat?.TCP?.inuse, 2 * sample.conns + listeners, `sockstat at ${sample.conns} connections`)
      }
      assert.match(stderr, /settled in \d+(\.\d+)? s/)
      // The close: every connection the servers accepted, closed; nothing left in the namespace.
      assert.equal(report.close?.accepted, conns)
      assert.equal(report.close?.closed, conns)
      if (isRoot) assert.deepEqual(report.close?.left, {inuse: 0, tw: 0})
      assert.match(stderr, isRoot ? /closed every connection in [\d.]+ s; the namespace holds 0 TCP sockets, 0 in TIME_WAIT/ : /closed every connection in [\d.]+ s/)
    })
  }
})
