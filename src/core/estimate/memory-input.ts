import {BIND_CACHES} from './calibration.js'
import {DEFAULT_MARGIN, DEFAULT_PROCESS_BYTES, type MemoryInput} from './memory-model.js'
import type {Target} from '../needs.js'
import {modelSocketKernel} from './model-socket-kernel.js'
import {conntrackEntryBytes, slabFootprint} from './socket-cost.js'
import {parseSysctlInt} from '../sysctl-value.js'
import type {HostSnapshot, SlabCache} from '../host-snapshot.js'

/**
 * Bytes of one tcp_bind_bucket and one tcp_bind2_bucket when slabinfo does not name them: on
 * Linux 6.18 x86_64 both are merged into a 128-byte cache (/sys/kernel/slab/tcp_bind*_bucket).
 */
export const DEFAULT_BIND_ENTRY_BYTES = 128

/**
 * Kernel bytes of the bind entries of one client socket: a tcp_bind2_bucket per (address, port)
 * and a tcp_bind_bucket per port. Charging both to every connection is exact up to one
 * connection per port and over-states by at most one 128-byte entry beyond that.
 */
export function bindEntryBytes(slab?: Record<string, SlabCache>): number {
  return BIND_CACHES.reduce((sum, name) => sum + (slab?.[name] ? Math.round(slabFootprint(slab[name])) : DEFAULT_BIND_ENTRY_BYTES), 0)
}

/**
 * Does this host track connections in conntrack? Only when the nf_conntrack module is loaded
 * and some ruleset uses it; a non-zero nf_conntrack_count is the sign of that.
 */
export function hostTracksConnections(host: HostSnapshot): {tracks: boolean; why: string} {
  const count = host.sysctl['net.netfilter.nf_conntrack_count']
  if (count === undefined) return {tracks: false, why: 'nf_conntrack is not loaded'}
  if ((parseSysctlInt(count) ?? 0) > 0) return {tracks: true, why: `nf_conntrack is loaded and tracks ${count} connections now`}
  return {tracks: false, why: 'nf_conntrack is loaded but tracks nothing (no ruleset uses it)'}
}

/**
 * vm.min_free_kbytes the kernel picks for a host of `ramBytes`: sqrt(16 x lowmem in KiB),
 * clamped to 128 KiB..256 MiB (mm/page_alloc.c). Used for a host other than this one.
 */
export function defaultMinFreeBytes(ramBytes: number): number {
  const kib = Math.floor(Math.sqrt((ramBytes / 1024) * 16))
  return Math.min(262_144, Math.max(128, kib)) * 1024
}

export interface MemoryInputOptions {
  /**
   * Kernel bytes per socket; default modelled from this host's slabinfo and kernel
   * (model-socket-kernel.ts).
   */
  bytesPerSocket?: number
  bindBytesPerConn?: number
  /** Track connections in conntrack; default: whether this host does. */
  conntrack?: boolean
  /**
   * Bytes per conntrack entry a probe measured (`probe --client-hosts K --nat`); default: this
   * host's nf_conntrack slab object.
   */
  conntrackEntryBytes?: number
  bufferBytesPerConn?: number
  processBytesPerConn?: number
  clientProcessBytesPerConn?: number
  /** RAM of the host to plan for; default this host's MemTotal. */
  memTotalBytes?: number
  margin?: number
}

/**
 * The memory model's input for `target` on this host (or a saved tree). doctor's RAM check
 * and estimate both build their input here, so that for the same N they agree.
 */
export function memoryInputForHost(host: HostSnapshot, target: Target, options: MemoryInputOptions = {}): MemoryInput {
  const meminfo = host.memory.meminfo ?? {}
  const slab = host.memory.slab
  const hostTotal = meminfo.MemTotal ?? 0
  const memTotalBytes = options.memTotalBytes ?? hostTotal
  const inUse = meminfo.MemAvailable === undefined ? 0 : hostTotal - meminfo.MemAvailable
  const minFreeKiB = parseSysctlInt(host.sysctl['vm.min_free_kbytes'])
  const minFreeBytes = options.memTotalBytes === undefined && minFreeKiB !== undefined ? minFreeKiB * 1024 : defaultMinFreeBytes(memTotalBytes)
  const tracks = options.conntrack ?? hostTracksConnections(host).tracks
  return {
    conns: target.conns,
    role: target.role,
    bytesPerSocket: options.bytesPerSocket ?? modelSocketKernel(slab, host.sysctl['kernel.osrelease'], target.family ?? 4).bytesPerSocket,
    bindBytesPerConn: options.bindBytesPerConn ?? bindEntryBytes(slab),
    conntrackEntryBytes: tracks ? (options.conntrackEntryBytes ?? conntrackEntryBytes(slab)) : 0,
    bufferBytesPerConn: options.bufferBytesPerConn ?? 0,
    processBytesPerConn: options.processBytesPerConn ?? DEFAULT_PROCESS_BYTES,
    clientProcessBytesPerConn: options.clientProcessBytesPerConn,
    baseBytes: Math.max(0, inUse),
    minFreeBytes,
    memTotalBytes,
    margin: options.margin ?? DEFAULT_MARGIN,
  }
}
