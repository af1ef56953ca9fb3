import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {floorsOf, modelSocketKernel} from '../src/core/estimate/model-socket-kernel.js'
import {fitLine} from '../src/core/probe/fit-line.js'
import {readProcWalker} from '../src/core/probe/proc-walker.js'
import {validateProbeReport} from '../src/core/probe/fit-report.js'
import {readMemory} from '../src/host/read/memory.js'
import {hostRoot} from '../src/host/files/root.js'
import {assertHeld, endNotes, FIXTURES, run, runJson} from './helpers.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'

// Something on this host walks /proc/PID/fd: once it has visited a probe's sockets, each has a
// proc inode and a dentry more, some 1.6 KB a loopback connection. A calibration must say whether
// it came by, and estimate which figure applies.
const KERNEL = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
type Report = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/** The real 20k run (no walker came by), and the same run as it reads when a walker visited it all. */
function unvisited(): Report {
  const r = JSON.parse(readFileSync(path.join(FIXTURES, 'probe-20k.json'), 'utf8'))
  r.host.kernel = KERNEL
  return r
}
function visited(): Report {
  const r = unvisited()
  // one proc inode (696 B) and one dentry (192 B) more per socket, two sockets per connection
  r.fit.slabPerConn.proc_inode_cache = 1392
  r.fit.slabPerConn.dentry += 384
  r.fit.kernel.bytesPerConn += 1776
  r.fit.kernel.bytesPerSocket = r.fit.kernel.bytesPerConn / 2
  return r
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'c1m-walker-'))
after(() => rmSync(tmp, {recursive: true, force: true}))

describe('whether a /proc walker visited a probe', () => {
  it('reads it from the proc_inode_cache growth against one proc inode per socket', () => {
    assert.deepEqual(readProcWalker(validateProbeReport(unvisited()), 728), {procInodeBytesPerConn: 0, coverage: 0, visited: false})
    assert.deepEqual(readProcWalker(validateProbeReport(visited()), 728), {procInodeBytesPerConn: 1392, coverage: 0.956, visited: true})
    // a walker that came by for a few sockets only is not taken to run
    const few = visited()
    few.fit.slabPerConn.proc_inode_cache = 40
    assert.equal(readProcWalker(validateProbeReport(few), 728).visited, false)
  })

  it('estimate says which figure applies and gives the other, in text and JSON', async () => {
    const totals: Record<string, {visitedDuringProbe: boolean; bytesPerSocket: number; low: number; high: number; total: number}> = {}
    for (const [name, report] of [['unvisited', unvisited()], ['visited', visited()]] as const) {
      const file = path.join(tmp, `${name}.json`)
      writeFileSync(file, JSON.stringify(report))
      const {envelope, exitCode, stderr} = await runJson<{walker: {visitedDuringProbe: boolean; bytesPerSocket: number; low: number; high: number}; memory: {total: number}}>(['estimate', '--conns', '1M', '--calibration', file])
      assert.equal(exitCode, 0, stderr)
      totals[name] = {...envelope.result.walker, total: envelope.result.memory.total}
      const text = await run(['estimate', '--conns', '1M', '--calibration', file])
      assert.match(text.stderr, name === 'visited'
        ? /warning: a \/proc\/PID\/fd walker \(a monitoring agent\) visited the probe's sockets, so the estimate includes its \d+ B per socket .*; where nothing walks \/proc, /
        : /warning: no \/proc\/PID\/fd walker visited the probe's sockets, so the estimate leaves out the \d+ B per socket .*; where a monitoring agent walks \/proc, /)
    }
    const {unvisited: u, visited: v} = totals
    assert.equal(u.visitedDuringProbe, false)
    assert.equal(v.visitedDuringProbe, true)
    // the figure given is the low end without a walker and the high end with one
    assert.equal(u.total, u.low)
    assert.equal(v.total, v.high)
    assert.ok(u.high - u.low >= 1e6 * u.bytesPerSocket * 0.99, JSON.stringify(u))
    // both runs give the same range, within the trend completion's few bytes per connection
    assert.ok(Math.abs(u.high - v.high) / v.high < 0.02 && Math.abs(u.low - v.low) / v.low < 0.02, JSON.stringify(totals))
  })
})

describe('a real probe records whether the walker came by', () => {
  it('as its own slab readings show', async () => {
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--conns', '3000', '--steps', '3', '--settle', '300ms'], {timeout: 120_000})
    assertHeld(exitCode, stderr + endNotes(envelope))
    const report = envelope.result
    const walker = report.procWalker!
    assert.ok(walker, 'no procWalker in the report')
    // the samples keep proc_inode_cache, and the field is their slope
    assert.ok(report.samples.every((s) => s.slab?.proc_inode_cache !== undefined), 'a sample lacks proc_inode_cache')
    const slope = fitLine(report.samples.map((s) => ({x: s.conns, y: s.slab!.proc_inode_cache}))).bytesPerConn
    assert.equal(walker.procInodeBytesPerConn, report.fit.slabPerConn?.proc_inode_cache ?? 0)
    if (slope >= 8) assert.ok(Math.abs(walker.procInodeBytesPerConn - Math.round(slope)) <= 1, `${walker.procInodeBytesPerConn} against ${slope}`)
    else assert.equal(walker.procInodeBytesPerConn, 0)
    const floor = floorsOf(modelSocketKernel(readMemory(hostRoot('/')).slab, KERNEL)).walker.proc_inode_cache
    assert.deepEqual(walker, readProcWalker(report, floor))
    assert.equal(walker.visited, walker.procInodeBytesPerConn / (2 * floor) >= 0.05)
  })
})
