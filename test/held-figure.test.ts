import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {heldFigure, type HeldTrend, settleSeries, thinReadings} from '../src/core/probe/held-figure.js'
import {checkServerTrees} from '../src/core/probe/server-trees.js'
import {hostSocketsPerConn, serverFigures} from '../src/core/probe/server-figures.js'
import type {ProbeSample} from '../src/core/probe/fit-report.js'

const MB = 1024 * 1024

// Readings in MiB; a tolerance of 1 MiB.
const series: [string, number[], HeldTrend, number | undefined][] = [
  ['flat from the start', [50, 50.2, 49.9, 50.1, 50, 50.1], 'settled', 0],
  ['falls, then flattens (a collector)', [80, 70, 60, 52, 50, 50.3, 49.8, 50.1, 50, 50.2, 49.9, 50], 'settled', 4],
  ['rises, then flattens', [50, 55, 60, 61, 61.2, 60.9, 61.1, 61, 61.1], 'settled', 3],
  ['rises to the end', [50, 52, 54, 56, 58, 60, 62, 64], 'rising', undefined],
  ['falls to the end', [80, 76, 72, 68, 64, 60], 'falling', undefined],
  ['a slow climb: each step small, the whole past the tolerance', [50, 50.5, 51, 51.5, 52, 52.5, 53, 53.5, 54, 54.5, 55, 55.5], 'rising', undefined],
  ['swings up and down', [50, 60, 50, 60, 50, 60, 50, 60], 'noisy', undefined],
  ['flat for the last two only', [80, 70, 60, 50, 50], 'falling', undefined],
  ['too short', [50, 50, 50], 'short', undefined],
  ['no readings', [], 'short', undefined],
]

describe('whether the hold memory settled', () => {
  for (const [name, mib, trend, from] of series) {
    it(name, () => {
      const settled = settleSeries(mib.map((v) => v * MB), 1 * MB)
      assert.equal(settled.trend, trend)
      assert.equal(settled.from, from)
      if (trend === 'settled') assert.ok(Math.abs(settled.level! / MB - mib.at(-1)!) < 0.5)
    })
  }
})

const readings = (mib: number[]) => mib.map((v, i) => ({t: i, rss: v * MB}))

describe('the held figure against the ramp slope', () => {
  it('memory given back during the hold: settled below the slope by more than 10%', () => {
    // 1000 connections, a baseline of 40 MiB: settled at 50 MiB is 10 MiB / 1000; the ramp said 20 KiB.
    const held = heldFigure(readings([60, 56, 52, 50, 50, 50, 50, 50]), 40 * MB, 1000, 20 * 1024)
    assert.equal(held.trend, 'settled')
    assert.equal(held.bytesPerConn, Math.round((10 * MB) / 1000))
    assert.equal(held.settledAfter, 3)
    assert.equal(held.differs, 'gave-back')
  })
  it('memory grew after the first message: settled above the slope', () => {
    const held = heldFigure(readings([50, 56, 60, 60, 60, 60]), 40 * MB, 1000, 10 * 1024)
    assert.equal(held.differs, 'grew')
  })
  it('within 10% of the slope says nothing more', () => {
    const held = heldFigure(readings([50, 50, 50, 50]), 40 * MB, 1000, 10_000)
    assert.equal(held.trend, 'settled')
    assert.equal(held.differs, undefined)
  })
  it('a long hold is thinned to every other reading, the last one kept', () => {
    assert.deepEqual(thinReadings([0, 1, 2, 3, 4]), [0, 2, 4])
    assert.deepEqual(thinReadings([0, 1, 2, 3, 4, 5]), [1, 3, 5])
  })
  it('a hold that never settled gives no figure', () => {
    const held = heldFigure(readings([50, 60, 70, 80, 90, 100]), 40 * MB, 1000, 10_000)
    assert.deepEqual(held, {trend: 'rising', rampBytesPerConn: 10_000})
  })
})

const sample = (conns: number, trees: number[]): ProbeSample => ({conns, established: conns, meminfo: {}, server: {rss: trees.reduce((a, b) => a + b, 0), trees}, client: {rss: 0}})

describe('each --server-pid tree on its own', () => {
  it('a proxy and its backend: per-tree slopes, sockets per connection counted, and the host total', () => {
    const samples = [sample(0, [10e6, 40e6]), sample(1000, [12e6, 50e6]), sample(2000, [14e6, 60e6])]
    const figures = serverFigures(
      [{pid: 10, name: 'haproxy', processes: 1, sockets: {before: 3, after: 4003}}, {pid: 20, name: 'node', processes: 1, sockets: {before: 1, after: 2001}}],
      samples,
      2000,
    )
    assert.deepEqual(figures.processes.map((p) => [p.pid, p.bytesPerConnection, p.socketsPerConnection]), [[10, 2000, 2], [20, 10_000, 1]])
    assert.equal(figures.socketsPerConnection, 3)
    // The client's socket and the three the servers hold: the kernel's figure divides by 4, not 2.
    assert.equal(hostSocketsPerConn(figures, 2), 4)
  })
  it('a tree whose descriptors could not be read leaves the planned sockets', () => {
    const samples = [sample(0, [10e6]), sample(1000, [12e6])]
    const figures = serverFigures([{pid: 10, name: 'x', processes: 2}], samples, 1000)
    assert.equal(figures.socketsPerConnection, undefined)
    assert.equal(hostSocketsPerConn(figures, 2), 2)
  })
  it('a PID given twice, or inside another tree, is refused; a gone one is E_NO_PROCESS', () => {
    assert.throws(() => checkServerTrees([{pid: 5, tree: [5, 6]}, {pid: 6, tree: [6]}]), /--server-pid 6 is a descendant of --server-pid 5/)
    assert.throws(() => checkServerTrees([{pid: 5, tree: [5]}, {pid: 5, tree: [5]}]), /--server-pid 5 is given twice/)
    assert.throws(() => checkServerTrees([{pid: 5, tree: []}]), (error: {code?: string}) => error.code === 'E_NO_PROCESS')
    assert.doesNotThrow(() => checkServerTrees([{pid: 5, tree: [5]}, {pid: 7, tree: [7, 8]}]))
  })
})
