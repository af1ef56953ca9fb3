import type {ExternalTarget, Isolation} from './run-report.js'
import {DEFAULT_SOURCE_PORTS, planShards, type Shard, type SourceMode} from './plan-shards.js'
import {addressesInPrefix, PROBE_IPV6_PREFIX} from '../ipv6-prefix.js'

/**
 * What a probe run is, decided once: where the server is, the processes, and how many sockets a
 * connection holds here.
 */
export interface ProbePlan {
  /** Both ends on this host: the bundled server, or a target on 127.x or ::1. */
  local: boolean
  /** 2 when both ends live on this host, 1 when the server is elsewhere. */
  socketsPerConn: 1 | 2
  /** The client processes (and, for the bundled server, one server each). */
  shards: Shard[]
}

/**
 * The plan. The bundled probe over IPv6 (family 6) binds its clients to addresses of the namespace's
 * ULA /64 (from ::2, as many as the connections need at every unprivileged port); over IPv4 to
 * 127.x addresses. A target on ::1 gets the kernel's ports: ::1 is IPv6's only loopback address.
 */
export function planProbe(input: {conns: number; hardNofile: number; target?: ExternalTarget; family?: 4 | 6}): ProbePlan {
  const host = input.target?.host
  const local = !host || host.startsWith('127.') || host === '::1'
  const [lo, hi] = DEFAULT_SOURCE_PORTS
  const sources: SourceMode = !host && input.family === 6
    ? {kind: 'addresses', addresses: addressesInPrefix(PROBE_IPV6_PREFIX, Math.ceil(input.conns / (hi - lo + 1)), 2)}
    : host === undefined || host.startsWith('127.') ? {kind: 'loopback'} : {kind: 'kernel'}
  return {local, socketsPerConn: local ? 2 : 1, shards: planShards({conns: input.conns, hardNofile: input.hardNofile, sources})}
}

/** What the run asks of the namespace: one of its own (root), or the host loopback and why. */
export type IsolationChoice = {netns: true; ownEhash?: number} | {netns: false; reason: Isolation['reason']}

/** Where a probe runs: your server is on the host network; else a namespace as root unless --no-netns. */
export function chooseIsolation(input: {target: boolean; netns: boolean; root: boolean; ownEhash?: number}): IsolationChoice {
  if (input.target) return {netns: false, reason: '--target: your server is on the host network'}
  if (!input.netns) return {netns: false, reason: '--no-netns'}
  if (!input.root) return {netns: false, reason: 'not root, so no network namespace'}
  return input.ownEhash ? {netns: true, ownEhash: input.ownEhash} : {netns: true}
}
