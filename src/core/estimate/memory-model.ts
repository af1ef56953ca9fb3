import {C1mError} from '../errors.js'
import {refuseBadFigures} from '../probe/guard-figures.js'
import {socketsPerConnection, type Role} from '../needs.js'

/**
 * Process bytes per connection when nothing better is known: the 2008 Mochiweb article's
 * libevent C server, under 2 KB per connection (000_c07855e9a9493bd3.txt, part 3).
 */
export const DEFAULT_PROCESS_BYTES = 2048
/** Share of RAM kept free beyond vm.min_free_kbytes, for page cache and everything else. */
export const DEFAULT_MARGIN = 0.1

export interface MemoryInput {
  conns: number
  role: Role
  /** Kernel bytes of one idle TCP socket (slab objects). */
  bytesPerSocket: number
  /**
   * Kernel bytes of the local-port bind entries of one client socket (tcp_bind_bucket and
   * tcp_bind2_bucket). Charged once per connection for the client and loopback roles; the
   * server's sockets share its listener's entry. Default 0.
   */
  bindBytesPerConn?: number
  /** Bytes per conntrack entry when the host tracks connections, else 0. */
  conntrackEntryBytes: number
  /** Socket buffer bytes per connection for the traffic pattern (0 when idle). */
  bufferBytesPerConn: number
  /** Process bytes per connection for each process side that runs here. */
  processBytesPerConn: number
  /**
   * Process bytes per connection of the client side when it runs here too (loopback role).
   * Defaults to processBytesPerConn.
   */
  clientProcessBytesPerConn?: number
  /** Memory in use before any connection opens. */
  baseBytes: number
  /** vm.min_free_kbytes in bytes. */
  minFreeBytes: number
  /** RAM of the host, for the margin. */
  memTotalBytes: number
  margin?: number
}

export interface MemoryTerm {
  name: string
  perConn: number
  total: number
}

export interface MemoryEstimate {
  terms: MemoryTerm[]
  /** Bytes that grow with N, per connection. */
  perConn: number
  /** Base and headroom: bytes that do not grow with N. */
  fixed: number
  total: number
}

/**
 * Memory = base + N x (kernel sockets + bind entries + conntrack + buffers + process) + headroom.
 * Refuses (C1mError) a negative or non-finite figure, or a socket that costs nothing.
 */
export function estimateMemory(input: MemoryInput): MemoryEstimate {
  refuseBadFigures({
    connections: input.conns, 'kernel bytes per socket': input.bytesPerSocket, 'bind entries': input.bindBytesPerConn ?? 0,
    conntrack: input.conntrackEntryBytes, 'socket buffers': input.bufferBytesPerConn, process: input.processBytesPerConn,
    'client process': input.clientProcessBytesPerConn ?? 0, base: input.baseBytes, 'min free': input.minFreeBytes, RAM: input.memTotalBytes,
  }, 'the memory model')
  if (input.bytesPerSocket === 0) throw new C1mError('E_RUNTIME', 'the memory model has a kernel cost of 0 B per socket', 'check the --calibration report')
  const spc = socketsPerConnection(input.role)
  // Only a socket that connect()s takes a local port of its own.
  const bind = input.role === 'server' ? 0 : (input.bindBytesPerConn ?? 0)
  // On loopback both the server and the client process run here.
  const process = input.role === 'loopback'
    ? input.processBytesPerConn + (input.clientProcessBytesPerConn ?? input.processBytesPerConn)
    : input.processBytesPerConn
  const perConnTerms: Array<[string, number]> = [
    ['kernel sockets', input.bytesPerSocket * spc],
    ['bind entries', bind],
    ['conntrack', input.conntrackEntryBytes],
    ['socket buffers', input.bufferBytesPerConn],
    ['process', process],
  ]
  const terms: MemoryTerm[] = perConnTerms.map(([name, perConn]) => ({name, perConn, total: perConn * input.conns}))
  const headroom = input.minFreeBytes + (input.margin ?? DEFAULT_MARGIN) * input.memTotalBytes
  terms.push({name: 'base (in use now)', perConn: 0, total: input.baseBytes}, {name: 'headroom', perConn: 0, total: headroom})
  const perConn = perConnTerms.reduce((sum, [, v]) => sum + v, 0)
  const fixed = input.baseBytes + headroom
  return {terms, perConn, fixed, total: fixed + perConn * input.conns}
}

/** The most connections that fit in `bytes` with this per-connection and fixed cost. */
export function connectionsThatFit(estimate: MemoryEstimate, bytes: number): number {
  if (!(estimate.perConn > 0) || !Number.isFinite(bytes)) return 0
  return Math.max(0, Math.floor((bytes - estimate.fixed) / estimate.perConn))
}
