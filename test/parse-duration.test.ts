import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseDuration} from '../src/core/duration.js'
import {C1mError} from '../src/core/errors.js'

describe('parseDuration', () => {
  it('reads milliseconds, seconds, minutes, hours, days and bare seconds', () => {
    assert.equal(parseDuration('250ms'), 250)
    assert.equal(parseDuration('30s'), 30_000)
    assert.equal(parseDuration('1.5s'), 1500)
    assert.equal(parseDuration('30'), 30_000)
    assert.equal(parseDuration('5m'), 300_000)
    assert.equal(parseDuration('1h'), 3_600_000)
    assert.equal(parseDuration('2h'), 7_200_000)
    assert.equal(parseDuration('1d'), 86_400_000)
    assert.equal(parseDuration('1.5d'), 129_600_000)
    assert.equal(parseDuration('0'), 0)
  })

  it('reads forever as Infinity', () => {
    assert.equal(parseDuration('forever'), Number.POSITIVE_INFINITY)
  })

  it('rejects anything else as a usage error naming the flag', () => {
    for (const bad of ['', 'soon', '-5s', '5 days', '1e3']) {
      assert.throws(() => parseDuration(bad, 'hold'), (error: C1mError) => error.code === 'E_USAGE' && error.message.includes('--hold'))
    }
  })
})
