import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {hostShare} from '../src/core/probe/host-share.js'
import {parseShard} from '../src/core/units.js'

describe('hostShare: host I of K', () => {
  it('shares add up to N, differ by at most one, and the port slices tile the range without overlap', () => {
    for (const [conns, count, lo, hi] of [[1_000_000, 8, 1024, 65_535], [7, 3, 20_000, 20_002], [200_000, 7, 10_000, 60_000], [5, 8, 1, 8]]) {
      const shares = Array.from({length: count}, (_, i) => hostShare(conns, {index: i + 1, count}, [lo, hi]))
      assert.equal(shares.reduce((t, s) => t + s.conns, 0), conns)
      assert.ok(Math.max(...shares.map((s) => s.conns)) - Math.min(...shares.map((s) => s.conns)) <= 1)
      assert.equal(shares[0].ports[0], lo)
      assert.equal(shares.at(-1)!.ports[1], hi)
      for (let i = 1; i < count; i++) assert.equal(shares[i].ports[0], shares[i - 1].ports[1] + 1, `slice ${i + 1} starts where ${i} ends`)
      for (const s of shares) assert.ok(s.ports[1] >= s.ports[0])
    }
  })

  it('parses I/K and refuses the rest', () => {
    assert.deepEqual(parseShard('3/8'), {index: 3, count: 8})
    for (const bad of ['0/8', '9/8', '8', '1/0', 'a/b', '1/2/3', '-1/2']) assert.throws(() => parseShard(bad), /--shard must be I\/K/, bad)
  })
})
