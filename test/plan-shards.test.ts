import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {connsPerProcess, loopbackSource, planShards, PROBE_FD_RESERVE, stepGoals} from '../src/core/probe/plan-shards.js'
import {C1mError} from '../src/core/errors.js'

/** Every (address, port) pair a list of IP:LO-HI slices covers. */
function pairs(slices: string[]): string[] {
  return slices.flatMap((slice) => {
    const [, ip, lo, hi] = /^(.+):(\d+)-(\d+)$/.exec(slice)!
    return Array.from({length: Number(hi) - Number(lo) + 1}, (_, i) => `${ip}:${Number(lo) + i}`)
  })
}

describe('planShards', () => {
  it('splits a million connections over as few processes as a 20000 hard limit allows', () => {
    const shards = planShards({conns: 1_000_000, hardNofile: 20_000, sources: {kind: 'loopback'}})
    const perProcess = 20_000 - PROBE_FD_RESERVE
    assert.equal(shards.length, Math.ceil(1_000_000 / perProcess))
    assert.equal(shards.reduce((sum, s) => sum + s.quota, 0), 1_000_000)
    assert.ok(shards.every((s) => s.quota <= perProcess))
    // quotas differ by at most one
    const quotas = shards.map((s) => s.quota)
    assert.ok(Math.max(...quotas) - Math.min(...quotas) <= 1)
  })

  it('gives every loopback shard its own 127.1.x.y address and the whole unprivileged port range', () => {
    const shards = planShards({conns: 100_000, hardNofile: 20_000, sources: {kind: 'loopback'}})
    const addresses = shards.map((s) => s.sources[0].split(':')[0])
    assert.equal(new Set(addresses).size, shards.length)
    assert.deepEqual(shards[0].sources, ['127.1.0.1:1024-65535'])
    assert.ok(addresses.every((a) => a.startsWith('127.')))
  })

  it('numbers loopback sources past 255 without reusing one', () => {
    assert.equal(loopbackSource(0), '127.1.0.1')
    assert.equal(loopbackSource(254), '127.1.0.255')
    assert.equal(loopbackSource(255), '127.1.1.0')
    assert.equal(new Set(Array.from({length: 70_000}, (_, i) => loopbackSource(i))).size, 70_000)
  })

  it('splits explicit addresses into disjoint runs of (address, port) pairs, each big enough', () => {
    const shards = planShards({
      conns: 50_000,
      hardNofile: 20_000,
      sources: {kind: 'addresses', addresses: ['10.0.0.5', '10.0.0.6']},
      ports: [10_000, 39_999],
    })
    assert.equal(shards.length, 3)
    const seen = new Set<string>()
    for (const shard of shards) {
      const mine = pairs(shard.sources)
      assert.ok(mine.length >= shard.quota, `shard ${shard.index} has ${mine.length} pairs for ${shard.quota}`)
      for (const pair of mine) {
        assert.ok(!seen.has(pair), `${pair} given twice`)
        seen.add(pair)
      }
    }
    assert.equal(seen.size, 60_000)
    // the second shard's run crosses from the first address to the second
    assert.equal(shards[1].sources.length, 2)
  })

  it('refuses explicit addresses with too few ports for N, naming how many are needed', () => {
    assert.throws(
      () => planShards({conns: 100_000, hardNofile: 20_000, sources: {kind: 'addresses', addresses: ['10.0.0.5']}}),
      (error: C1mError) => error.code === 'E_USAGE' && /need 2 source addresses/.test(error.message),
    )
  })

  it('leaves sources empty when the kernel picks ports', () => {
    const shards = planShards({conns: 30_000, hardNofile: 20_000, sources: {kind: 'kernel'}})
    assert.equal(shards.length, 2)
    assert.ok(shards.every((s) => s.sources.length === 0))
  })

  it('refuses a descriptor limit too small to hold connections, or too many processes', () => {
    assert.equal(connsPerProcess(PROBE_FD_RESERVE), 0)
    assert.throws(() => planShards({conns: 10, hardNofile: 64, sources: {kind: 'kernel'}}), /too few/)
    assert.throws(() => planShards({conns: 1e9, hardNofile: 20_000, sources: {kind: 'kernel'}}), /more than 1024/)
  })
})

describe('stepGoals', () => {
  it('ramps each shard in proportion to its quota and ends on the quota', () => {
    const shards = planShards({conns: 40_001, hardNofile: 20_000, sources: {kind: 'kernel'}})
    assert.deepEqual(stepGoals(shards, 5, 5), shards.map((s) => s.quota))
    const first = stepGoals(shards, 1, 4)
    assert.ok(first.every((t, i) => Math.abs(t - shards[i].quota / 4) <= 0.5))
  })
})
