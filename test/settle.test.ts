import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {hasSettled, slabTolerance} from '../src/core/probe/settle.js'
import {describeSettle} from '../src/reports/probe-text.js'

const MIB = 1024 ** 2

describe('when a step of the ramp has settled', () => {
  it('needs two readings: the first alone never settles', () => {
    assert.equal(hasSettled(undefined, {serversOpen: 100, slab: 500 * MIB}, 100, MIB), false)
  })

  it('waits for the servers to hold every connection the clients counted', () => {
    const reading = {serversOpen: 99, slab: 500 * MIB}
    assert.equal(hasSettled(reading, reading, 100, MIB), false)
    assert.equal(hasSettled({...reading, serversOpen: 100}, {...reading, serversOpen: 100}, 100, MIB), true)
  })

  it('waits while the servers are still accepting between the readings', () => {
    assert.equal(hasSettled({serversOpen: 100, slab: 500 * MIB}, {serversOpen: 101, slab: 500 * MIB}, 100, MIB), false)
  })

  it('waits while the slab moves by more than the tolerance, either way', () => {
    const before = {serversOpen: 100, slab: 500 * MIB}
    assert.equal(hasSettled(before, {...before, slab: 500 * MIB + MIB + 1}, 100, MIB), false)
    assert.equal(hasSettled(before, {...before, slab: 500 * MIB - MIB - 1}, 100, MIB), false)
    assert.equal(hasSettled(before, {...before, slab: 500 * MIB + MIB}, 100, MIB), true)
  })

  it('tolerates 1 MiB, or a thousandth of what the step grew the slab by', () => {
    assert.equal(slabTolerance(0), MIB)
    assert.equal(slabTolerance(100 * MIB), MIB)
    assert.equal(slabTolerance(2000 * MIB), 2 * MIB)
    assert.equal(slabTolerance(-2000 * MIB), 2 * MIB)
  })

  it('says how long settling took and what ended each wait', () => {
    assert.equal(describeSettle({seconds: 0.42, boundMs: 500, counters: 6, bound: 0, sleep: 0}), 'settle: 0.42 s over 6 waits, each ended on the counters (the servers held what the clients counted, the slab still between two readings)')
    assert.match(describeSettle({seconds: 1.5, boundMs: 500, counters: 4, bound: 2, sleep: 0}), /^settle: 1\.50 s over 6 waits, 4 ended on the counters .*, 2 at the --settle bound of 500 ms/)
    assert.match(describeSettle({seconds: 3, boundMs: 500, counters: 0, bound: 0, sleep: 6}), /each a sleep of 500 ms \(someone else's server/)
  })
})
