import {usageError} from '../errors.js'
import {formatEndpoint} from '../units.js'

/**
 * Descriptors a bundled probe process keeps besides its connections: stdio, the epoll
 * instance, the listening socket and a spare. 64 leaves room to spare.
 */
export const PROBE_FD_RESERVE = 64
/** Source ports a client binds explicitly when none are given: every unprivileged port. */
export const DEFAULT_SOURCE_PORTS: [number, number] = [1024, 65_535]
/** More processes than this per side is a plan nobody meant. */
export const MAX_SHARDS = 1024

/** How client sockets get their source (address, port). */
export type SourceMode =
  /** one 127.1.x.y address per shard: every address in 127.0.0.0/8 works on lo */
  | {kind: 'loopback'}
  /** the given addresses, their (address, port) pairs split evenly between shards */
  | {kind: 'addresses'; addresses: string[]}
  /** no bind(): the kernel picks a port for each connect */
  | {kind: 'kernel'}

export interface ShardInput {
  conns: number
  /** Hard RLIMIT_NOFILE of the probe processes. */
  hardNofile: number
  sources: SourceMode
  ports?: [number, number]
}

export interface Shard {
  index: number
  /** Connections this process opens (client) or accepts (server). */
  quota: number
  /** IP:LO-HI slices this client binds to, in order; empty when the kernel picks. */
  sources: string[]
}

/** Connections one probe process can hold under this descriptor limit. */
export function connsPerProcess(hardNofile: number): number {
  return Math.max(0, hardNofile - PROBE_FD_RESERVE)
}

/** The n-th (0-based) loopback source address: 127.1.0.1, 127.1.0.2, ... 127.1.1.0, ... */
export function loopbackSource(n: number): string {
  const v = n + 1
  return `127.${1 + Math.floor(v / 65_536)}.${Math.floor(v / 256) % 256}.${v % 256}`
}

/**
 * Split N connections over as few processes as the descriptor limit allows, each with its
 * own slice of source (address, port) pairs so that no two processes contend for one.
 */
export function planShards(input: ShardInput): Shard[] {
  const perProcess = connsPerProcess(input.hardNofile)
  if (perProcess < 1) {
    throw usageError(`a probe process may open only ${input.hardNofile} files, too few to hold connections`, 'raise the hard RLIMIT_NOFILE (ulimit -Hn)')
  }
  const count = Math.ceil(input.conns / perProcess)
  if (count > MAX_SHARDS) {
    throw usageError(`${input.conns} connections at ${perProcess} per process need ${count} processes per side, more than ${MAX_SHARDS}`, 'raise the hard RLIMIT_NOFILE or ask for fewer connections')
  }
  const [lo, hi] = input.ports ?? DEFAULT_SOURCE_PORTS
  const portsPerAddress = hi - lo + 1
  const quotas = Array.from({length: count}, (_, i) => Math.floor(input.conns / count) + (i < input.conns % count ? 1 : 0))
  const {sources} = input

  if (sources.kind === 'kernel') return quotas.map((quota, index) => ({index, quota, sources: []}))

  if (sources.kind === 'loopback') {
    const perShard = Math.ceil(Math.max(...quotas) / portsPerAddress)
    return quotas.map((quota, index) => ({
      index,
      quota,
      sources: Array.from({length: perShard}, (_, k) => `${loopbackSource(index * perShard + k)}:${lo}-${hi}`),
    }))
  }

  // Explicit addresses: number the (address, port) pairs 0..space-1 and give each shard a run.
  const space = sources.addresses.length * portsPerAddress
  if (space < input.conns) {
    const need = Math.ceil(input.conns / portsPerAddress)
    throw usageError(`${input.conns} connections need ${need} source addresses at ports ${lo}-${hi}, got ${sources.addresses.length}`, 'give more --source addresses')
  }
  return quotas.map((quota, index) => {
    const from = Math.floor((index * space) / count)
    const to = Math.floor(((index + 1) * space) / count) // exclusive
    if (to - from < quota) throw usageError(`source ports are too few to give process ${index + 1} its ${quota} connections`, 'give more --source addresses')
    const slices: string[] = []
    for (let at = from; at < to; ) {
      const address = Math.floor(at / portsPerAddress)
      const first = lo + (at % portsPerAddress)
      const last = Math.min(hi, first + (to - at) - 1)
      slices.push(formatEndpoint(sources.addresses[address], `${first}-${last}`))
      at += last - first + 1
    }
    return {index, quota, sources: slices}
  })
}

/** Connections each shard holds after step k of `steps` (k = 1..steps), proportional to its quota. */
export function stepGoals(shards: Shard[], step: number, steps: number): number[] {
  return shards.map((shard) => Math.round((shard.quota * step) / steps))
}
