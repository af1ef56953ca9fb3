import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {probeOutcome} from '../src/core/probe/outcome.js'
import {probeRunsDir} from '../src/host/probe/probe-runs.js'
import {BIN} from './helpers.js'

// Two probes at once each measure the other's sockets too: both must say so, exit 10 and keep
// nothing for estimate.
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-concurrent-'))
after(() => rmSync(dir, {recursive: true, force: true}))

function probe(kept: string) {
  return execa('node', [BIN, 'probe', '--conns', '3000', '--steps', '3', '--settle', '400ms', '--json'], {
    reject: false, timeout: 120_000, stdin: 'ignore', env: {NO_COLOR: '1', C1M_PROBE_DIR: kept},
  })
}

describe('two probes at the same time', () => {
  it('each marks its kernel figure not a measurement, names the other, exits 13 and keeps no report', async () => {
    const kept = [path.join(dir, 'a'), path.join(dir, 'b')]
    for (const k of kept) mkdirSync(k, {mode: 0o700})
    const a = probe(kept[0])
    const b = probe(kept[1])
    const [ra, rb] = await Promise.all([a, b])
    for (const [result, other] of [[ra, b.pid], [rb, a.pid]] as const) {
      assert.equal(result.exitCode, 13, result.stderr)
      const envelope = JSON.parse(result.stdout)
      const report = envelope.result
      assert.ok(report.concurrent.pids.includes(other), JSON.stringify(report.concurrent))
      assert.ok(report.fit.problems.some((p: string) => p.startsWith(`another c1m probe ran at the same time (PID `) && p.includes(String(other))), report.fit.problems.join('; '))
      assert.match(envelope.error.message, /^the kernel figure is not a measurement: /, result.stdout)
      assert.equal(envelope.error.code, 'E_NOT_MEASURED')
    }
    for (const k of kept) assert.deepEqual(readdirSync(k, {withFileTypes: true}).filter((e) => e.isFile()), [], `${k} kept a report`)
    // Both signed out: no file of theirs is left where runs sign in.
    const left = readdirSync(probeRunsDir()).filter((name) => name.startsWith(`${a.pid}-`) || name.startsWith(`${b.pid}-`))
    assert.deepEqual(left, [])
  })
})

describe('a run whose kernel figure is not a measurement', () => {
  it('exits 13 even when everything else succeeded, saying why', () => {
    const out = probeOutcome({samples: [1, 2, 3, 4], echo: {sent: 10, echoed: 10}, fit: {problems: ["the kernel fit's r2 is 0.16, below 0.95 (the host was busy, or the run disturbed)"]}})
    assert.equal(out.code, 'E_NOT_MEASURED')
    assert.deepEqual(out.notes, ["the kernel figure is not a measurement: the kernel fit's r2 is 0.16, below 0.95 (the host was busy, or the run disturbed)"])
    // An early stop is said once, as the stop.
    const stopped = probeOutcome({samples: [1, 2], stopped: 'EMFILE', fit: {problems: ['the run stopped early: EMFILE']}})
    assert.equal(stopped.notes.length, 1)
  })
})
