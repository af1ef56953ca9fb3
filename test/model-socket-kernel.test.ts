import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import {kernelVersion, kmallocSize, objcgVectorBytes} from '../src/core/estimate/kernel-caches.js'
import {floorsOf, modelSocketKernel} from '../src/core/estimate/model-socket-kernel.js'
import {readHost} from '../src/host/read/read-host.js'
import {hostRoot} from '../src/host/files/root.js'
import {FIXTURES} from './helpers.js'

const hostOf = (tree: string) => readHost(hostRoot(path.join(FIXTURES, tree)))
const footprint = (c: {objperslab: number; pagesperslab: number}) => Math.round((c.pagesperslab * 4096) / c.objperslab)

describe('the kernel cost of a socket, modelled from slabinfo and the kernel version', () => {
  it('counts each cache at its slab footprint (pages per slab x 4096 / objects per slab), packing slack included', async () => {
    const host = await hostOf('estimate-host')
    const m = modelSocketKernel(host.memory.slab, host.sysctl['kernel.osrelease'])
    const slab = host.memory.slab!
    const socket = m.parts.find((p) => p.name === 'socket')!
    for (const name of ['TCP', 'sock_inode_cache', 'dentry', 'filp']) assert.equal(socket.caches[name], footprint(slab[name]), name)
    const eventpoll = m.parts.find((p) => p.name === 'eventpoll')!
    assert.deepEqual(Object.keys(eventpoll.caches), ['eventpoll_epi', 'eventpoll_pwq', 'ep_head'])
    assert.deepEqual(m.defaulted, ['eventpoll_pwq']) // merged into a 64-byte cache on 6.18, so slabinfo does not list it
    assert.equal(m.parts.find((p) => p.name === 'LSM blobs')!.bytes, footprint(slab.lsm_inode_cache) + footprint(slab.lsm_file_cache))
    assert.equal(m.bytesPerSocket, m.parts.reduce((a, p) => a + p.bytes, 0))
    const slack = ['TCP', 'sock_inode_cache', 'dentry', 'filp', 'eventpoll_epi', 'ep_head', 'lsm_inode_cache', 'lsm_file_cache']
      .reduce((a, n) => a + footprint(slab[n]) - slab[n].objsize, 0)
    assert.equal(m.slackBytes, slack + 0) // eventpoll_pwq's default packs without slack
  })

  it('names the assumptions, and its range leaves them out (low) or takes their upper end (high)', async () => {
    const host = await hostOf('estimate-host')
    const m = modelSocketKernel(host.memory.slab, host.sysctl['kernel.osrelease'])
    assert.deepEqual(m.parts.filter((p) => p.assumed).map((p) => p.name), ['kmalloc (memcg vectors)', '/proc walker'])
    const measured = m.parts.filter((p) => !p.assumed).reduce((a, p) => a + p.bytes, 0)
    assert.equal(m.low, measured)
    assert.ok(m.high > m.bytesPerSocket && m.bytesPerSocket > m.low)
    const walker = m.parts.find((p) => p.name === '/proc walker')!
    assert.equal(walker.caches.proc_inode_cache, footprint(host.memory.slab!.proc_inode_cache))
    const floors = floorsOf(m)
    assert.deepEqual(floors.walker, walker.caches)
    assert.equal(floors.socket.TCP, footprint(host.memory.slab!.TCP))
    assert.equal(floors.socket.lsm_file_cache, footprint(host.memory.slab!.lsm_file_cache))
  })

  it('charges each accounted slab a kmalloc vector of 8 B an object, rounded up to a kmalloc size', () => {
    assert.equal(kmallocSize(104), 128)
    assert.equal(kmallocSize(168), 192)
    assert.equal(objcgVectorBytes({objsize: 2368, objperslab: 13, pagesperslab: 8}), 128 / 13)
    assert.equal(objcgVectorBytes({objsize: 16, objperslab: 256, pagesperslab: 1}), 8)
    assert.equal(objcgVectorBytes({objsize: 16, objperslab: 256, pagesperslab: 1}, 16), 16)
  })

  it('leaves out what an old kernel does not have: ep_head (5.11), LSM blobs (5.1), memcg vectors (5.9)', async () => {
    const host = await hostOf('host-2008')
    assert.deepEqual(kernelVersion(host.sysctl['kernel.osrelease']), [2, 6])
    const m = modelSocketKernel(host.memory.slab, host.sysctl['kernel.osrelease'])
    const parts = Object.fromEntries(m.parts.map((p) => [p.name, p]))
    assert.deepEqual(Object.keys(parts.eventpoll.caches), ['eventpoll_epi', 'eventpoll_pwq'])
    assert.equal(parts['LSM blobs'].bytes, 0)
    assert.equal(parts['kmalloc (memcg vectors)'].bytes, 0)
    assert.equal(parts['kmalloc (memcg vectors)'].high, 0)
    assert.ok(parts['/proc walker'].bytes > 0)
  })

  it('without slabinfo, takes the Linux 6.18 shapes: the same figure as a 6.18 host whose slabinfo has them', async () => {
    const host = await hostOf('estimate-host')
    const fromSlab = modelSocketKernel(host.memory.slab, host.sysctl['kernel.osrelease'])
    const fromDefaults = modelSocketKernel(undefined, host.sysctl['kernel.osrelease'])
    assert.equal(fromDefaults.source, 'default')
    assert.equal(fromSlab.source, 'slabinfo')
    assert.equal(fromDefaults.bytesPerSocket, fromSlab.bytesPerSocket)
  })
})
