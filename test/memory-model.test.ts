import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {connectionsThatFit, estimateMemory, type MemoryInput} from '../src/core/estimate/memory-model.js'

const base: MemoryInput = {
  conns: 1000,
  role: 'server',
  bytesPerSocket: 4000,
  bindBytesPerConn: 256,
  conntrackEntryBytes: 0,
  bufferBytesPerConn: 0,
  processBytesPerConn: 2000,
  baseBytes: 1_000_000,
  minFreeBytes: 64 * 1024 * 1024,
  memTotalBytes: 1024 ** 3,
  margin: 0.1,
}

const term = (input: MemoryInput, name: string) => estimateMemory(input).terms.find((t) => t.name === name)!

describe('estimateMemory', () => {
  it('server: one socket, no bind entries, one process side', () => {
    const m = estimateMemory(base)
    assert.equal(term(base, 'kernel sockets').perConn, 4000)
    assert.equal(term(base, 'bind entries').perConn, 0)
    assert.equal(term(base, 'process').perConn, 2000)
    assert.equal(m.perConn, 6000)
    assert.equal(term(base, 'kernel sockets').total, 4_000_000)
  })

  it('client: one socket plus its bind entries', () => {
    const input = {...base, role: 'client' as const}
    assert.equal(term(input, 'kernel sockets').perConn, 4000)
    assert.equal(term(input, 'bind entries').perConn, 256)
    assert.equal(estimateMemory(input).perConn, 4000 + 256 + 2000)
  })

  it('loopback: both sockets, the client bind entries, and both processes', () => {
    const input = {...base, role: 'loopback' as const, clientProcessBytesPerConn: 500}
    assert.equal(term(input, 'kernel sockets').perConn, 8000)
    assert.equal(term(input, 'bind entries').perConn, 256)
    assert.equal(term(input, 'process').perConn, 2500)
    // without a client figure, the client side costs what the server side does
    assert.equal(term({...input, clientProcessBytesPerConn: undefined}, 'process').perConn, 4000)
  })

  it('bind entries default to nothing, keeping the model as it was', () => {
    const input = {...base, role: 'client' as const, bindBytesPerConn: undefined}
    assert.equal(estimateMemory(input).perConn, 6000)
  })

  it('conntrack on adds one entry per connection; off adds nothing', () => {
    const on = estimateMemory({...base, conntrackEntryBytes: 320})
    const off = estimateMemory(base)
    assert.equal(on.perConn - off.perConn, 320)
    assert.equal(on.total - off.total, 320 * 1000)
  })

  it('socket buffers add their bytes per connection', () => {
    assert.equal(term({...base, bufferBytesPerConn: 4096}, 'socket buffers').total, 4096 * 1000)
  })

  it('headroom is min_free plus the margin of RAM, and base is fixed', () => {
    const m = estimateMemory(base)
    const headroom = 64 * 1024 * 1024 + 0.1 * 1024 ** 3
    assert.equal(term(base, 'headroom').total, headroom)
    assert.equal(m.fixed, 1_000_000 + headroom)
    assert.equal(m.total, m.fixed + 6000 * 1000)
    assert.equal(estimateMemory({...base, margin: 0.2}).fixed, 1_000_000 + 64 * 1024 * 1024 + 0.2 * 1024 ** 3)
  })

  it('connectionsThatFit: the most connections the RAM holds, 0 when the fixed part alone is too big', () => {
    const m = estimateMemory(base)
    const fit = connectionsThatFit(m, 1024 ** 3)
    assert.equal(fit, Math.floor((1024 ** 3 - m.fixed) / 6000))
    assert.ok(estimateMemory({...base, conns: fit}).total <= 1024 ** 3)
    assert.ok(estimateMemory({...base, conns: fit + 1}).total > 1024 ** 3)
    assert.equal(connectionsThatFit(m, m.fixed - 1), 0)
  })
})
