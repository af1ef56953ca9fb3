import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import {calibrateFromReport} from '../src/core/calibration.js'
import {completeWalker} from '../src/core/complete-walker.js'
import {readProbeReport} from '../src/host/probe-reports.js'
import {FIXTURES} from './helpers.js'

const COST = {procInodeBytes: 712, bytesPerSocket: 956}
const REPORT = path.join(FIXTURES, 'probe-small.json')

/** probe-small.json with the proc_inode_cache growth a walker at `coverage` of the sockets leaves. */
function withWalker(coverage: number | undefined) {
  const report = readProbeReport(REPORT)
  const slab = {...report.fit.slabPerConn}
  if (coverage === undefined) delete slab.proc_inode_cache
  else slab.proc_inode_cache = Math.round(coverage * 2 * COST.procInodeBytes)
  return {...report, fit: {...report.fit, slabPerConn: slab}}
}

describe('a short probe sampled before the /proc walker reached every socket', () => {
  it('adds the walk cost of the sockets it had not reached, from the proc_inode_cache growth', () => {
    const c = completeWalker(withWalker(0.55), COST)!
    assert.ok(Math.abs(c.coverage - 0.55) < 0.001)
    assert.equal(c.addedBytesPerConn, Math.round((1 - c.coverage) * 956 * 2))
    assert.match(c.note, /visited 55% of the sockets/)
  })

  it('adds nothing when no walker runs, or when it had caught up', () => {
    assert.equal(completeWalker(withWalker(undefined), COST), undefined)
    assert.equal(completeWalker(withWalker(0.01), COST), undefined)
    assert.equal(completeWalker(withWalker(1), COST), undefined)
    assert.equal(completeWalker(withWalker(0.5), {procInodeBytes: 712, bytesPerSocket: 0}), undefined)
  })

  it('the calibration carries the completed kernel figure, per socket too', () => {
    const report = withWalker(0.5)
    const plain = calibrateFromReport(report, REPORT)
    const completed = calibrateFromReport(report, REPORT, undefined, COST)
    assert.equal(completed.trend!.addedBytesPerConn, 956)
    assert.equal(completed.kernel.bytesPerConn, report.fit.kernel.bytesPerConn + 956)
    assert.equal(completed.bytesPerSocket, plain.bytesPerSocket + 956 / 2)
  })
})
