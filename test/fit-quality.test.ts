import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {buildProbeReport} from '../src/core/probe/build-fit-report.js'
import {fitProblems} from '../src/core/probe/fit-quality.js'
import type {ProbeSample} from '../src/core/probe/fit-report.js'

function sample(conns: number, slabBytes: number): ProbeSample {
  return {conns, established: conns, meminfo: {Slab: slabBytes}, server: {rss: 1e6}, client: {rss: 1e6}}
}
const host = {kernel: '6.18.0', memTotalBytes: 24 * 2 ** 30, cpus: 2}

describe('fitProblems', () => {
  it('accepts a clean fit of 10 KB a connection over 3 samples', () => {
    const samples = [sample(1000, 1e8 + 1e7), sample(2000, 1e8 + 2e7), sample(3000, 1e8 + 3e7)]
    const report = buildProbeReport({engine: 'native', socketsPerConn: 2, host, samples})
    assert.deepEqual(report.fit.problems, [])
    assert.deepEqual(fitProblems(report), [])
  })

  it('names two samples, a negative cost and an early stop', () => {
    const samples = [sample(1000, 2e8), sample(2000, 1e8)]
    const report = buildProbeReport({engine: 'native', socketsPerConn: 2, host, samples, stopped: 'interrupted'})
    const problems = report.fit.problems!.join('\n')
    assert.match(problems, /only 2 samples/)
    assert.match(problems, /-50000 B per socket is outside/)
    assert.match(problems, /stopped early: interrupted/)
    assert.equal(report.stopped, 'interrupted')
  })

  it('names a poor r2', () => {
    const samples = [sample(1000, 1e8), sample(2000, 3e8), sample(3000, 1.2e8), sample(4000, 3.5e8)]
    const problems = fitProblems(buildProbeReport({engine: 'native', socketsPerConn: 2, host, samples}))
    assert.ok(problems.some((p) => /r2 is 0\.\d\d, below 0.95/.test(p)), problems.join('; '))
  })
})
