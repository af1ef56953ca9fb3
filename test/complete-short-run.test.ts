import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import {calibrateFromReport} from '../src/core/estimate/calibration.js'
import {completeShortRun} from '../src/core/estimate/complete-short-run.js'
import type {ProbeReport} from '../src/core/probe/fit-report.js'
import {readProbeReport} from '../src/host/files/probe-reports.js'
import {FIXTURES} from './helpers.js'

const FLOORS = {
  socket: {TCP: 2521, sock_inode_cache: 862, dentry: 195, filp: 195, eventpoll_epi: 128, eventpoll_pwq: 64},
  walker: {proc_inode_cache: 712, dentry: 195, lsm_inode_cache: 32},
}
const REPORT = path.join(FIXTURES, 'probe-small.json')
const ALL = ['TCP', 'sock_inode_cache', 'dentry', 'filp', 'eventpoll_epi', 'proc_inode_cache', 'lsm_inode_cache']

/** probe-small.json with this growth per connection, and these caches named in its slabinfo. */
function withGrowth(slabPerConn: Record<string, number>, named = ALL): ProbeReport {
  const report = readProbeReport(REPORT)
  const samples = report.samples.map((s) => ({...s, slab: Object.fromEntries(named.map((n) => [n, 1_000_000]))}))
  return {...report, samples, fit: {...report.fit, slabPerConn}}
}

// a 2-socket run that had its every object: the floors exactly, with the walker
const FULL = {TCP: 5042, sock_inode_cache: 1724, dentry: 780, filp: 390, eventpoll_epi: 386, proc_inode_cache: 1424, lsm_inode_cache: 64}

describe('a short probe: caches that grew by less than one object per socket', () => {
  it('adds nothing to a run that grew every cache by its objects, give or take the fit\'s noise', () => {
    assert.equal(completeShortRun(withGrowth(FULL), FLOORS), undefined)
    assert.equal(completeShortRun(withGrowth({...FULL, TCP: 5036, proc_inode_cache: 1410}), FLOORS), undefined)
  })

  it('raises the walker caches a lagging walker left short, and says how far it had got', () => {
    const c = completeShortRun(withGrowth({...FULL, proc_inode_cache: 997, dentry: 450}), FLOORS)!
    assert.ok(Math.abs(c.walkerCoverage! - 0.7) < 0.001)
    assert.deepEqual(c.added, {dentry: 330, proc_inode_cache: 427})
    assert.equal(c.addedBytesPerConn, 757)
    assert.match(c.note, /visited 70% of the sockets/)
  })

  it('raises socket caches whose allocations landed in free objects, and never counts the walker when none ran', () => {
    const c = completeShortRun(withGrowth({TCP: 4600, sock_inode_cache: 1724, dentry: 390, filp: 390, eventpoll_epi: 300}), FLOORS)!
    assert.equal(c.walkerCoverage, null)
    assert.deepEqual(c.added, {TCP: 442})
  })

  it('leaves alone a cache this kernel merged into another (not named in the run\'s slabinfo)', () => {
    // eventpoll_pwq has a floor but no slabinfo line of its own: its growth shows under anon_vma_chain
    assert.equal(completeShortRun(withGrowth(FULL, ALL), FLOORS), undefined)
    assert.deepEqual(completeShortRun(withGrowth(FULL, [...ALL, 'eventpoll_pwq']), FLOORS)!.added, {eventpoll_pwq: 128})
  })

  it('the calibration carries the completed kernel figure, per socket too', () => {
    const report = withGrowth({...FULL, proc_inode_cache: 712, dentry: 585, lsm_inode_cache: 48})
    const plain = calibrateFromReport(report, REPORT)
    const completed = calibrateFromReport(report, REPORT, undefined, FLOORS)
    assert.equal(completed.trend!.addedBytesPerConn, 712 + 195 + 16)
    assert.equal(completed.kernel.bytesPerConn, report.fit.kernel.bytesPerConn + 923)
    assert.equal(completed.bytesPerSocket, Math.round(plain.bytesPerSocket + 923 / 2))
  })
})
