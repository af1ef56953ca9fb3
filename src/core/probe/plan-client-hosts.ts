import {portsPerTuple} from '../needs.js'
import {hostShare} from './host-share.js'
import {DEFAULT_SOURCE_PORTS, planShards, type Shard} from './plan-shards.js'

/** Source ports one client address binds (1024-65535). */
const PORTS_PER_ADDRESS = portsPerTuple(DEFAULT_SOURCE_PORTS)
/** Addresses a simulated client host may have: 10.201.K.2 to 10.201.K.254. */
export const MAX_ADDRESSES_PER_HOST = 253
/** More simulated client hosts than this is a plan nobody meant (10.201.1-250.0/24). */
export const MAX_CLIENT_HOSTS = 250

export interface ClientHostPlan {
  /** Connections per host (host I of K takes N/K, the first N mod K one more). */
  shares: number[]
  /** Source addresses each host needs: its share over the ports of one address. */
  addressCounts: number[]
}

/** How N connections spread over K client hosts, and the addresses each needs. */
export function planClientHosts(conns: number, count: number): ClientHostPlan {
  const shares = Array.from({length: count}, (_, i) => hostShare(conns, {index: i + 1, count}, DEFAULT_SOURCE_PORTS).conns)
  const addressCounts = shares.map((share) => Math.min(MAX_ADDRESSES_PER_HOST, Math.max(1, Math.ceil(share / PORTS_PER_ADDRESS))))
  return {shares, addressCounts}
}

/**
 * The client processes of every host, numbered across hosts (shard.index is global): each
 * host's share split by its descriptor limit over its own addresses' ports. hostOf[i] is the
 * 0-based host of shard i.
 */
export function clientHostShards(shares: number[], addresses: string[][], hardNofile: number): {shards: Shard[]; hostOf: number[]} {
  const shards: Shard[] = []
  const hostOf: number[] = []
  for (const [host, share] of shares.entries()) {
    if (share === 0) continue
    for (const shard of planShards({conns: share, hardNofile, sources: {kind: 'addresses', addresses: addresses[host]}})) {
      shards.push({...shard, index: shards.length})
      hostOf.push(host)
    }
  }
  return {shards, hostOf}
}
