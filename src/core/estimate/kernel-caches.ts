import {DEFAULT_SOCKET_CACHES} from './socket-cost.js'
import type {SlabCache} from '../host-snapshot.js'

export type CacheShape = {objsize: number; objperslab: number; pagesperslab: number}

/**
 * Slab object shapes (objsize, objects per slab, pages per slab) measured on Linux 6.18 x86_64,
 * for caches this host's slabinfo does not show: slabinfo unreadable, or the cache merged into
 * another of the same size (eventpoll_pwq shares a 64-byte cache with anon_vma_chain there).
 */
export const DEFAULT_CACHES: Record<string, CacheShape> = {
  ...DEFAULT_SOCKET_CACHES,
  eventpoll_pwq: {objsize: 64, objperslab: 64, pagesperslab: 1},
  ep_head: {objsize: 16, objperslab: 256, pagesperslab: 1},
  lsm_file_cache: {objsize: 24, objperslab: 170, pagesperslab: 1},
  lsm_inode_cache: {objsize: 32, objperslab: 128, pagesperslab: 1},
  proc_inode_cache: {objsize: 696, objperslab: 23, pagesperslab: 4},
}

/**
 * The first kernel (major, minor) that has each cache, where it is younger than epoll itself:
 * ep_head came with epoll's rework in 5.11, the LSM blob caches with LSM stacking in 5.1.
 */
const SINCE: Record<string, [number, number]> = {ep_head: [5, 11], lsm_file_cache: [5, 1], lsm_inode_cache: [5, 1]}

/**
 * Per-object memcg vectors (obj_cgroup pointers, 8 bytes an object) came with 5.9's slab accounting
 * rework.
 */
export const OBJCG_SINCE: [number, number] = [5, 9]

/** (major, minor) of a kernel release such as 6.18.44-fc-v595; undefined when it does not parse. */
export function kernelVersion(release?: string): [number, number] | undefined {
  const match = /^(\d+)\.(\d+)/.exec(release ?? '')
  return match ? [Number(match[1]), Number(match[2])] : undefined
}

/** Is `version` at least `since`? An unknown version counts as a current kernel. */
export function atLeast(version: [number, number] | undefined, since: [number, number]): boolean {
  if (!version) return true
  return version[0] > since[0] || (version[0] === since[0] && version[1] >= since[1])
}

export interface CacheLookup {
  shape: CacheShape
  from: 'slabinfo' | 'default'
}

/**
 * The shape of cache `name` on this host: from slabinfo when it lists the cache, else the 6.18
 * default when this kernel has the cache, else undefined (the kernel is older than the cache).
 */
export function lookupCache(name: string, slab: Record<string, SlabCache> | undefined, version: [number, number] | undefined): CacheLookup | undefined {
  const listed = slab?.[name]
  if (listed && listed.objperslab > 0) return {shape: listed, from: 'slabinfo'}
  const since = SINCE[name]
  if (since && !atLeast(version, since)) return undefined
  return {shape: DEFAULT_CACHES[name], from: 'default'}
}

const KMALLOC_SIZES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192]

/**
 * The kmalloc cache an allocation of `bytes` comes from (its size); larger ones go to the page
 * allocator whole.
 */
export function kmallocSize(bytes: number): number {
  return KMALLOC_SIZES.find((size) => size >= bytes) ?? Math.ceil(bytes / 4096) * 4096
}

/**
 * Bytes per object of the vector a memcg-accounted slab carries (one `bytesPerEntry` entry per
 * object, kmalloc'ed per slab): the kmalloc-* growth that comes with each socket.
 */
export function objcgVectorBytes(shape: CacheShape, bytesPerEntry = 8): number {
  return kmallocSize(shape.objperslab * bytesPerEntry) / shape.objperslab
}
