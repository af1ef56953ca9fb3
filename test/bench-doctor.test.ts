import assert from 'node:assert/strict'
import {execa} from 'execa'
import path from 'node:path'
import {describe, it} from 'node:test'

import {FIXTURES, REPO_ROOT} from './helpers.js'

const BENCH = path.join(REPO_ROOT, 'bench/doctor.js')

describe('node bench/doctor.js', () => {
  it('times a host whose doctor FAILs (exit 1) instead of crashing on it', async () => {
    // The stock host fails at 1M connections: doctor exits 1 on every run the bench times.
    const result = await execa('node', [BENCH, '1', '--root', path.join(FIXTURES, 'stock-modern')], {reject: false, timeout: 60_000, env: {NO_COLOR: '1'}})
    assert.equal(result.exitCode, 0, result.stderr)
    const lines = result.stdout.trim().split('\n')
    assert.equal(lines.length, 3, result.stdout)
    for (const line of lines) assert.match(line, /^c1m doctor .* runs 1 {2}median \d+ ms {2}min \d+ ms {2}max \d+ ms {2}exit 1 {2}\(target < 500 ms\)$/)
  })

  it('a doctor that does not run (a usage error, exit 2) is said in one line, not timed', async () => {
    const result = await execa('node', [BENCH, '1', '--no-such-flag'], {reject: false, timeout: 60_000, env: {NO_COLOR: '1'}})
    assert.equal(result.exitCode, 3)
    assert.match(result.stderr.trim(), /^c1m doctor --no-such-flag did not run: exit 2: c1m: /)
  })
})
