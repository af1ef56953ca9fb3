import type {SlabCache} from '../host-snapshot.js'

export const PAGE_SIZE = 4096

/**
 * Slab caches one established TCP socket takes an object from: the socket itself,
 * its inode, its dentry, its struct file, and the epoll entry of the process that watches it.
 */
export const SOCKET_CACHES = ['TCP', 'sock_inode_cache', 'dentry', 'filp', 'eventpoll_epi'] as const

/** The same for an IPv6 socket: its own slab cache, TCPv6, has larger objects than TCP's. */
export const SOCKET_CACHES_V6 = ['TCPv6', 'sock_inode_cache', 'dentry', 'filp', 'eventpoll_epi'] as const

/**
 * The slab caches of a socket's other states, kept in a probe's samples with the socket's own: a
 * connection in TIME_WAIT (tw_sock_*) and a handshake in progress (request_sock_*), per family.
 */
export const SOCKET_STATE_CACHES = ['tw_sock_TCP', 'request_sock_TCP', 'tw_sock_TCPv6', 'request_sock_TCPv6'] as const

/** The socket's own caches for an IP family (4 when a report does not say). */
export function socketCaches(family: 4 | 6 = 4): readonly string[] {
  return family === 6 ? SOCKET_CACHES_V6 : SOCKET_CACHES
}

/**
 * Per-object bytes when slabinfo is not readable, measured on Linux 6.18 x86_64
 * (objsize, objects per slab, pages per slab): TCP 2368/13/8, TCPv6 2496/13/8, sock_inode_cache 832/19/4,
 * dentry 192/21/1, filp 192/21/1, eventpoll_epi 128/32/1.
 */
/**
 * What the socket's own caches (SOCKET_CACHES, or SOCKET_CACHES_V6 over IPv6) grew per connection in
 * a probe's fit, and per socket; undefined when none of them grew.
 */
export function socketCacheCost(slabPerConn: Record<string, number>, socketsPerConn: number, family: 4 | 6 = 4): {bytesPerConn: number; bytesPerSocket: number} | undefined {
  const own = socketCaches(family).reduce((sum, name) => sum + (slabPerConn[name] ?? 0), 0)
  return own > 0 ? {bytesPerConn: own, bytesPerSocket: own / socketsPerConn} : undefined
}

export const DEFAULT_SOCKET_CACHES: Record<string, {objsize: number; objperslab: number; pagesperslab: number}> = {
  TCP: {objsize: 2368, objperslab: 13, pagesperslab: 8},
  TCPv6: {objsize: 2496, objperslab: 13, pagesperslab: 8},
  sock_inode_cache: {objsize: 832, objperslab: 19, pagesperslab: 4},
  dentry: {objsize: 192, objperslab: 21, pagesperslab: 1},
  filp: {objsize: 192, objperslab: 21, pagesperslab: 1},
  eventpoll_epi: {objsize: 128, objperslab: 32, pagesperslab: 1},
}

/** Bytes a slab object really takes, counting the slack of packing objects into slabs. */
export function slabFootprint(cache: {objsize: number; objperslab: number; pagesperslab: number}): number {
  if (!cache.objperslab) return cache.objsize
  return (cache.pagesperslab * PAGE_SIZE) / cache.objperslab
}

export interface SocketCost {
  bytesPerSocket: number
  source: 'slabinfo' | 'default'
  caches: Record<string, number>
}

/** Kernel bytes per idle TCP socket from this host's slab object sizes, or the defaults. */
export function socketCost(slab?: Record<string, SlabCache>): SocketCost {
  const useHost = slab !== undefined && SOCKET_CACHES.every((name) => slab[name])
  const caches: Record<string, number> = {}
  for (const name of SOCKET_CACHES) {
    caches[name] = Math.round(slabFootprint(useHost ? slab![name] : DEFAULT_SOCKET_CACHES[name]))
  }
  const bytesPerSocket = Object.values(caches).reduce((a, b) => a + b, 0)
  return {bytesPerSocket, source: useHost ? 'slabinfo' : 'default', caches}
}

/** Bytes per conntrack entry: the nf_conntrack slab object, or 320 when slabinfo is not readable. */
export function conntrackEntryBytes(slab?: Record<string, SlabCache>): number {
  const cache = slab?.nf_conntrack
  return cache ? Math.round(slabFootprint(cache)) : 320
}
