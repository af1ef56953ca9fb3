import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {computeNeeds, portsPerTuple, processesNeeded, socketsPerConnection, sourceAddressesNeeded} from '../src/core/needs.js'

describe('computeNeeds', () => {
  it('derives a million server connections', () => {
    const n = computeNeeds({conns: 1_000_000, role: 'server'})
    assert.equal(n.sockets, 1_000_000)
    assert.equal(n.perProcessFds, 1_001_024)
    assert.equal(n.nofile, 1_001_024)
    assert.ok(n.fileMax >= 1_050_000 && n.fileMax < 1_070_000, String(n.fileMax))
    assert.equal(n.somaxconn, 16_384)
    assert.equal(n.synBacklog, 16_384)
    assert.equal(n.conntrackMax, 1_100_800)
    assert.equal(n.conntrackBuckets, 524_288)
    assert.equal(n.nrOpen, 1_048_576)
  })
  it('counts both ends on loopback', () => {
    assert.equal(socketsPerConnection('loopback'), 2)
    const n = computeNeeds({conns: 1_000_000, role: 'loopback'})
    assert.equal(n.sockets, 2_000_000)
    assert.ok(n.fileMax > 2_000_000)
  })
  it('scales with N and stays inside the kernel caps', () => {
    const small = computeNeeds({conns: 10_000, role: 'server'})
    const huge = computeNeeds({conns: 50_000_000, role: 'server'})
    assert.equal(small.somaxconn, 4096)
    assert.equal(huge.somaxconn, 65_535)
    assert.equal(small.nrOpen, 1_048_576)
    assert.ok(huge.nrOpen >= 50_001_024)
  })
})

describe('ports and shards', () => {
  it('counts ports per tuple and the source addresses N needs', () => {
    assert.equal(portsPerTuple([32768, 60999]), 28_232)
    assert.equal(portsPerTuple([1024, 65535]), 64_512)
    assert.equal(sourceAddressesNeeded(1_000_000, 28_232), 36)
    assert.equal(sourceAddressesNeeded(1_000_000, 64_512), 16)
    assert.equal(sourceAddressesNeeded(1_000_000, 64_512, 4), 4)
  })
  it('shards over processes when the hard limit is capped', () => {
    assert.equal(processesNeeded(1_000_000, 20_000), 53)
  })
})
