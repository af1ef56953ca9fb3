import {usageError} from '../errors.js'

/** One of K client hosts: `index` is 1-based, as `--shard I/K` and a Kubernetes indexed Job + 1 count. */
export interface ShardSpec {
  index: number
  count: number
}

export interface HostShare {
  index: number
  count: number
  /** This host's connections: N/K, the first N mod K hosts one more. */
  conns: number
  /** This host's slice of the source ports, disjoint from every other host's. */
  ports: [number, number]
}

/**
 * The share of host I of K: its connections and a contiguous slice of the source-port range,
 * so K client hosts behind one address (NAT, or several runs on one machine) never bind the
 * same (address, port). Every host is given the same N and range; the slices tile the range.
 */
export function hostShare(conns: number, spec: ShardSpec, ports: [number, number]): HostShare {
  const [lo, hi] = ports
  const size = hi - lo + 1
  if (spec.count > size) throw usageError(`--shard ${spec.index}/${spec.count}: ${size} source ports cannot be split ${spec.count} ways`, 'widen --source-ports or use fewer shards')
  const i = spec.index - 1
  const first = lo + Math.floor((i * size) / spec.count)
  const last = lo + Math.floor(((i + 1) * size) / spec.count) - 1
  const share = Math.floor(conns / spec.count) + (i < conns % spec.count ? 1 : 0)
  return {index: spec.index, count: spec.count, conns: share, ports: [first, last]}
}
