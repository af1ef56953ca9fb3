import {clientHostShards, type ClientHostPlan} from '../core/probe/plan-client-hosts.js'
import type {Shard} from '../core/probe/plan-shards.js'
import type {ClientHostNet} from '../host/probe/client-hosts.js'
import {type EnginePrograms, inNetns} from './engine.js'
import {serverEndpoint, startClients, startServers, stopPeers} from './engine-processes.js'
import type {Peer} from './peer.js'
import {formatEndpoint} from '../core/units.js'

export interface ClientHostPeers {
  servers: Array<Peer<'server'>>
  clients: Array<Peer<'client'>>
  /** The client processes, numbered across hosts. */
  shards: Shard[]
}

/**
 * Servers in the server namespace on its routed address; each client host's processes in its
 * own namespace, bound to its addresses, client i connecting to server i. All or none.
 */
export async function startClientHostPeers(
  programs: EnginePrograms,
  serverNetns: string,
  net: ClientHostNet,
  plan: ClientHostPlan,
  options: {hardNofile: number; backlog: number; inflight: number; openTimeoutMs: number},
): Promise<ClientHostPeers> {
  const {shards, hostOf} = clientHostShards(plan.shares, net.hosts.map((h) => h.addresses), options.hardNofile)
  // One server per client process, as on loopback: each holds exactly its client's quota, within
  // its descriptor limit.
  const servers = await startServers(inNetns(programs, serverNetns), shards.map(() => formatEndpoint(net.serverAddress, 0)), options.backlog)
  const endpoints = shards.map((shard) => [serverEndpoint(net.serverAddress, servers[shard.index])])
  const clients: Array<Peer<'client'>> = []
  try {
    for (const [h, host] of net.hosts.entries()) {
      const own = shards.filter((shard) => hostOf[shard.index] === h)
      if (own.length === 0) continue
      clients.push(...(await startClients(inNetns(programs, host.netns), own, {endpoints, inflight: options.inflight, openTimeoutMs: options.openTimeoutMs})))
    }
  } catch (error) {
    await stopPeers(clients)
    await stopPeers(servers)
    throw error
  }
  return {servers, clients, shards}
}
