import {addressesInPrefix} from '../ipv6-prefix.js'
import {portsPerTuple} from '../needs.js'
import {hostShare} from './host-share.js'
import {DEFAULT_SOURCE_PORTS, planShards, type Shard} from './plan-shards.js'

/** Source ports one client address binds (1024-65535). */
const PORTS_PER_ADDRESS = portsPerTuple(DEFAULT_SOURCE_PORTS)
/** Addresses a simulated IPv4 client host may have: 10.201.K.2 to 10.201.K.254. */
export const MAX_ADDRESSES_PER_HOST = 253
/** More simulated client hosts than this is a plan nobody meant (10.201.1-250.0/24, fd00:c1:1-250::/64). */
export const MAX_CLIENT_HOSTS = 250

/**
 * The address plan of the simulated hosts. IPv4: host K has 10.201.K.0/24 (sources from .2, its
 * gateway .1), the server 10.200.0.1, the NAT router 10.202.0.1. IPv6, all in the ULA fd00:c1::/32
 * (RFC 4193): the server fd00:c1::1 in the probe's own fd00:c1::/64; host K the /64 fd00:c1:K::/64,
 * K's decimal digits written as the third group (host 12: fd00:c1:12::/64), sources from its ::2
 * up; the NAT router fd00:c1:ffff::1 on its link to the server (fd00:c1:ffff::2). The links to the
 * hosts carry only the link-local fe80::1 (router) and fe80::2 (host): each /64 is routed via the
 * host's fe80::2, so the router keeps one neighbour entry per host, not one per source address.
 */
export const CLIENT_HOSTS_IPV6 = {
  natLink: 'fd00:c1:ffff::/64',
  natRouter: 'fd00:c1:ffff::1',
  natServer: 'fd00:c1:ffff::2',
  hubLinkLocal: 'fe80::1',
  hostLinkLocal: 'fe80::2',
} as const

/** Host `index`'s own subnet: 10.201.K.0/24, or over IPv6 fd00:c1:K::/64. */
export function clientHostPrefix(index: number, family: 4 | 6): string {
  return family === 6 ? `fd00:c1:${index}::/64` : `10.201.${index}.0/24`
}

/** The first `count` source addresses of host `index`: 10.201.K.2 up, or fd00:c1:K::2 up. */
export function clientHostAddresses(index: number, count: number, family: 4 | 6): string[] {
  if (family === 6) return addressesInPrefix(clientHostPrefix(index, 6), count, 2, '--client-hosts')
  return Array.from({length: count}, (_, a) => `10.201.${index}.${a + 2}`)
}

export interface ClientHostPlan {
  /** Connections per host (host I of K takes N/K, the first N mod K one more). */
  shares: number[]
  /** Source addresses each host needs: its share over the ports of one address. */
  addressCounts: number[]
}

/**
 * How N connections spread over K client hosts, and the addresses each needs. An IPv4 host has
 * at most 253 (its /24); an IPv6 host takes as many of its /64 as its share needs.
 */
export function planClientHosts(conns: number, count: number, family: 4 | 6 = 4): ClientHostPlan {
  const shares = Array.from({length: count}, (_, i) => hostShare(conns, {index: i + 1, count}, DEFAULT_SOURCE_PORTS).conns)
  const needed = (share: number) => Math.max(1, Math.ceil(share / PORTS_PER_ADDRESS))
  const addressCounts = shares.map((share) => (family === 6 ? needed(share) : Math.min(MAX_ADDRESSES_PER_HOST, needed(share))))
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
