import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {checkProbeFits, type PreflightInput, probeMemoryNeed} from '../src/core/probe/preflight.js'

const GiB = 1024 ** 3
const roomy: PreflightInput = {
  conns: 1_000_000,
  socketsPerConn: 2,
  processes: 102,
  engine: 'native',
  fileMax: 2_470_372,
  filesInUse: 2000,
  memAvailableBytes: 23 * GiB,
  bytesPerSocket: 4300,
}

describe('checkProbeFits', () => {
  it('lets a million loopback connections run on a 24 GiB host with file-max 2.4M', () => {
    assert.deepEqual(checkProbeFits(roomy), [])
  })

  it('stops when fs.file-max cannot hold both ends of every connection, and says how many fit', () => {
    const problems = checkProbeFits({...roomy, fileMax: 1_000_000})
    assert.equal(problems.length, 1)
    assert.match(problems[0].message, /2000000 file handles.*998000 free/)
    assert.match(problems[0].suggestion, /at most 498184 connections/)
  })

  it('stops when the memory the sockets and processes need passes 80% of MemAvailable', () => {
    const problems = checkProbeFits({...roomy, memAvailableBytes: 8 * GiB})
    assert.equal(problems.length, 1)
    assert.match(problems[0].message, /more than 80% of the 8192 MiB available/)
  })

  it('counts the node engine as costlier per connection than native', () => {
    assert.ok(probeMemoryNeed({...roomy, engine: 'node'}) > probeMemoryNeed(roomy) + 1_000_000 * 2 * 4000)
  })
})
