import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {buildProbeReport, kernelBytes} from '../src/core/probe/build-fit-report.js'
import {type ProbeSample, validateProbeReport} from '../src/core/probe/fit-report.js'

/** A ramp where every connection costs exactly known bytes: 8 KiB of slab, 3 KiB server, 5 KiB client. */
function sample(conns: number): ProbeSample {
  return {
    conns,
    established: conns,
    meminfo: {MemTotal: 24 * 1024 ** 3, Slab: 100 * 1024 ** 2 + conns * 8192},
    slab: {TCP: 1_000_000 + conns * 4928, dentry: 5_000_000 + conns * 400, kmalloc_flat: 777_777, shrinking: 9_000_000 - conns * 10},
    sockstat: {TCP: {inuse: conns * 2, mem: 3}},
    server: {rss: 3 * 1024 ** 2 + conns * 3072},
    client: {rss: 4 * 1024 ** 2 + conns * 5120},
  }
}

describe('buildProbeReport', () => {
  const report = buildProbeReport({
    engine: 'native',
    socketsPerConn: 2,
    host: {kernel: '6.18.0', memTotalBytes: 24 * 1024 ** 3, cpus: 2},
    samples: [0, 5000, 10_000, 15_000].map((n) => sample(n)),
    generatedAt: '2026-01-01T00:00:00.000Z',
  })

  it('fits kernel, server and client memory per connection', () => {
    assert.equal(Math.round(report.fit.kernel.bytesPerConn), 8192)
    assert.equal(Math.round(report.fit.kernel.bytesPerSocket), 4096)
    assert.equal(Math.round(report.fit.kernel.baseBytes), 100 * 1024 ** 2 + 3 * 4096)
    assert.equal(Math.round(report.fit.server.bytesPerConn), 3072)
    assert.equal(Math.round(report.fit.client.bytesPerConn), 5120)
    assert.equal(report.fit.server.r2, 1)
  })

  it('counts sockstat TCP buffer pages as kernel memory', () => {
    assert.equal(kernelBytes(sample(0)), 100 * 1024 ** 2 + 3 * 4096)
  })

  it('lists only the slab caches that grew, and trims the samples to them and the socket caches', () => {
    assert.deepEqual(report.fit.slabPerConn, {TCP: 4928, dentry: 400})
    assert.deepEqual(Object.keys(report.samples[0].slab!).sort(), ['TCP', 'dentry'])
  })

  it('is a valid c1m.probe/1 report', () => {
    assert.equal(validateProbeReport(JSON.parse(JSON.stringify(report))).schema, 'c1m.probe/1')
  })
})
