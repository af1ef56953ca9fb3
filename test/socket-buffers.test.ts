import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {tcpMemNeeded} from '../src/core/needs.js'
import {bufferBytesPerConn, tcpMemReach} from '../src/core/estimate/socket-buffers.js'

describe('socket buffers', () => {
  it('idle connections hold no buffer memory', () => {
    assert.equal(bufferBytesPerConn(0, 0.5), 0)
    assert.equal(bufferBytesPerConn(1000, 0), 0)
  })

  it('a queued message is charged in whole pages', () => {
    assert.equal(bufferBytesPerConn(1, 1), 4096)
    assert.equal(bufferBytesPerConn(4096, 1), 4096)
    assert.equal(bufferBytesPerConn(4097, 1), 8192)
    assert.equal(bufferBytesPerConn(10_000, 0.25), 0.25 * 3 * 4096)
  })

  it('tcp_mem pressure and max are reached at pages x 4096 / bytes per connection', () => {
    const reach = tcpMemReach([100, 1000, 2000], 4096)
    assert.deepEqual(reach, {pressureAt: 1000, maxAt: 2000})
    assert.deepEqual(tcpMemReach([100, 1000, 2000], 0), {pressureAt: Infinity, maxAt: Infinity})
  })

  it('tcp_mem needed: low at the pages in use, pressure +25%, max +50%', () => {
    assert.deepEqual(tcpMemNeeded(1000 * 4096), [1000, 1250, 1500])
    assert.deepEqual(tcpMemNeeded(1), [1, 2, 2])
    assert.deepEqual(tcpMemNeeded(0), [0, 0, 0])
  })
})
