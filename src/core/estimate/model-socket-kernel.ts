import {atLeast, type CacheShape, kernelVersion, lookupCache, OBJCG_SINCE, objcgVectorBytes} from './kernel-caches.js'
import {slabFootprint} from './socket-cost.js'
import type {SlabCache} from '../host-snapshot.js'

/** One part of a socket's kernel cost, with the range it may take. */
export interface KernelPart {
  name: string
  /** Bytes per socket the estimate counts, and the range. */
  bytes: number
  low: number
  high: number
  /** Bytes per socket of each slab cache in this part (footprint: slab bytes / objects per slab). */
  caches: Record<string, number>
  /** Set when the part is an assumption rather than read from this host: what is assumed. */
  assumed?: string
}

export interface SocketKernelModel {
  bytesPerSocket: number
  low: number
  high: number
  /** slabinfo when this host's slabinfo gave the socket's own caches, else the Linux 6.18 defaults. */
  source: 'slabinfo' | 'default'
  parts: KernelPart[]
  /** Of bytesPerSocket, the slack of packing objects into slabs (footprint - object size). */
  slackBytes: number
  /** Caches taken from the 6.18 defaults because slabinfo did not list them. */
  defaulted: string[]
  /** The IP family modelled: the socket part counts TCP's objects, or TCPv6's. */
  family: 4 | 6
}

/** The socket's own caches per family: an IPv6 socket's is TCPv6 (struct tcp6_sock, with its ipv6_pinfo). */
const SOCKET_BY_FAMILY: Record<4 | 6, string[]> = {4: ['TCP', 'sock_inode_cache', 'dentry', 'filp'], 6: ['TCPv6', 'sock_inode_cache', 'dentry', 'filp']}
const EVENTPOLL = ['eventpoll_epi', 'eventpoll_pwq', 'ep_head']
const LSM = ['lsm_inode_cache', 'lsm_file_cache']
/** What a scan of /proc/PID/fd creates per open descriptor: a proc inode, its dentry and its LSM blob. */
const WALKER = ['proc_inode_cache', 'dentry', 'lsm_inode_cache']
/** Caches whose objects are charged to a memory cgroup, so each of their slabs carries a vector. */
const ACCOUNTED = new Set(['TCP', 'TCPv6', 'sock_inode_cache', 'dentry', 'filp', 'eventpoll_epi', 'eventpoll_pwq', 'ep_head', 'proc_inode_cache'])

export const WALKER_ASSUMPTION = 'something walks /proc/PID/fd, as monitoring agents do (low: nothing does)'
export const VECTOR_ASSUMPTION = 'memcg kmem accounting is on, 8 B an object (high: 16 B with memory profiling; low: none, cgroup.memory=nokmem)'

/**
 * Kernel bytes per idle TCP socket on this host, modelled from its slabinfo (object sizes and
 * packing: pages per slab x 4096 / objects per slab) and kernel version: the socket's own caches,
 * eventpoll, LSM blobs, the memcg vectors in kmalloc-*, and a /proc/PID/fd walker. The last two
 * are assumptions: low leaves them out, high takes their upper end. Over IPv6 (`family` 6) the
 * socket is a TCPv6 object, larger than TCP's (2496 B against 2368 on 6.18); both pack 13 into an
 * 8-page slab there, so the footprint, and the figure, differ only where the packing does. Pure.
 */
export function modelSocketKernel(slab?: Record<string, SlabCache>, release?: string, family: 4 | 6 = 4): SocketKernelModel {
  const SOCKET = SOCKET_BY_FAMILY[family]
  const version = kernelVersion(release)
  const defaulted = new Set<string>()
  const shapes: Record<string, CacheShape> = {}
  const shapeOf = (name: string) => {
    if (!(name in shapes)) {
      const found = lookupCache(name, slab, version)
      if (found) shapes[name] = found.shape
      if (found?.from === 'default') defaulted.add(name)
    }
    return shapes[name]
  }
  let slack = 0
  const cachesOf = (names: string[]) => {
    const caches: Record<string, number> = {}
    for (const name of names) {
      const shape = shapeOf(name)
      if (shape) caches[name] = Math.round(slabFootprint(shape))
    }
    return caches
  }
  const sum = (caches: Record<string, number>) => Object.values(caches).reduce((a, b) => a + b, 0)
  const measured = (name: string, names: string[]): KernelPart => {
    const caches = cachesOf(names)
    for (const n of Object.keys(caches)) slack += caches[n] - shapes[n].objsize
    return {name, bytes: sum(caches), low: sum(caches), high: sum(caches), caches}
  }
  const parts = [measured('socket', SOCKET), measured('eventpoll', EVENTPOLL), measured('LSM blobs', LSM)]

  const walker = cachesOf(WALKER)
  const vectorsFor = (names: string[], entry: number) => names.filter((n) => ACCOUNTED.has(n) && shapeOf(n)).reduce((a, n) => a + objcgVectorBytes(shapes[n], entry), 0)
  const hasVectors = atLeast(version, OBJCG_SINCE)
  const socketNames = [...SOCKET, ...EVENTPOLL]
  const vectors = hasVectors ? Math.round(vectorsFor(socketNames, 8)) : 0
  parts.push({
    name: 'kmalloc (memcg vectors)', bytes: vectors, low: 0, high: hasVectors ? Math.round(vectorsFor(socketNames, 16)) : 0,
    caches: hasVectors ? {'kmalloc-*': vectors} : {}, assumed: VECTOR_ASSUMPTION,
  })
  const walkerBytes = sum(walker) + (hasVectors ? Math.round(vectorsFor(WALKER, 8)) : 0)
  parts.push({
    name: '/proc walker', bytes: walkerBytes, low: 0, high: sum(walker) + (hasVectors ? Math.round(vectorsFor(WALKER, 16)) : 0),
    caches: walker, assumed: WALKER_ASSUMPTION,
  })

  const total = (pick: (p: KernelPart) => number) => parts.reduce((a, p) => a + pick(p), 0)
  const own = SOCKET.every((name) => slab?.[name])
  return {
    bytesPerSocket: total((p) => p.bytes), low: total((p) => p.low), high: total((p) => p.high),
    source: own ? 'slabinfo' : 'default', parts, slackBytes: Math.round(slack), defaulted: [...defaulted], family,
  }
}

/**
 * One object per socket of each cache the model counts, and the walker's: the floors a short
 * probe's growth is raised to.
 */
export function floorsOf(model: SocketKernelModel): {socket: Record<string, number>; walker: Record<string, number>} {
  const caches = (name: string) => model.parts.find((p) => p.name === name)?.caches ?? {}
  return {socket: {...caches('socket'), ...caches('eventpoll'), ...caches('LSM blobs')}, walker: caches('/proc walker')}
}
