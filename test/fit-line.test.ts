import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {fitLine} from '../src/core/probe/fit-line.js'

describe('fitLine', () => {
  it('recovers an exact line', () => {
    const fit = fitLine([0, 1000, 2000, 3000].map((x) => ({x, y: 5_000_000 + 4096 * x})))
    assert.equal(Math.round(fit.bytesPerConn), 4096)
    assert.equal(Math.round(fit.baseBytes), 5_000_000)
    assert.equal(fit.r2, 1)
  })

  it('reports a poorer r² for scattered points', () => {
    const fit = fitLine([
      {x: 0, y: 0},
      {x: 1, y: 10},
      {x: 2, y: 0},
      {x: 3, y: 10},
    ])
    assert.ok(fit.r2 < 0.5, `r² ${fit.r2}`)
    assert.ok(Math.abs(fit.bytesPerConn - 2) < 1e-9)
  })

  it('calls a flat noiseless series a perfect fit with slope 0', () => {
    const fit = fitLine([{x: 0, y: 7}, {x: 10, y: 7}])
    assert.equal(fit.bytesPerConn, 0)
    assert.equal(fit.r2, 1)
  })

  it('refuses fewer than two points or a single x', () => {
    assert.throws(() => fitLine([{x: 1, y: 1}]), /at least two points/)
    assert.throws(() => fitLine([{x: 1, y: 1}, {x: 1, y: 2}]), /two different x/)
  })
})
