import type {ExternalTarget, Isolation} from './run-report.js'
import {planShards, type Shard} from './plan-shards.js'

/**
 * What a probe run is, decided once: where the server is, the processes, and how many sockets a
 * connection holds here.
 */
export interface ProbePlan {
  /** Both ends on this host: the bundled server, or a target on 127.x. */
  local: boolean
  /** 2 when both ends live on this host, 1 when the server is elsewhere. */
  socketsPerConn: 1 | 2
  /** The client processes (and, for the bundled server, one server each). */
  shards: Shard[]
}

export function planProbe(input: {conns: number; hardNofile: number; target?: ExternalTarget}): ProbePlan {
  const local = !input.target || input.target.host.startsWith('127.')
  return {
    local,
    socketsPerConn: local ? 2 : 1,
    shards: planShards({conns: input.conns, hardNofile: input.hardNofile, sources: local ? {kind: 'loopback'} : {kind: 'kernel'}}),
  }
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
