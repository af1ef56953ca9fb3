import {setTimeout as sleep} from 'node:timers/promises'

import {hasSettled, type SettledOn, type SettleReading, slabTolerance} from '../core/probe/settle.js'
import type {SettleSummary} from '../core/probe/run-report.js'
import type {HostRoot} from '../host/files/root.js'
import {readSlabBytes} from '../host/read/memory.js'
import {countServerConnections} from './engine-processes.js'
import type {Peer} from './peer.js'

/** Milliseconds between two readings of the counters. */
export const SETTLE_READ_MS = 50
/** How long the servers may take to accept what the clients counted, before the --settle bound runs. */
const ACCEPT_BOUND_MS = 5000

export interface Settled {
  /** Connections the servers hold at the end (with someone else's server: the clients' count given). */
  established: number
  seconds: number
  on: SettledOn
}

/**
 * Wait until the step has settled (core/probe/settle.ts): the servers hold the `established`
 * connections the clients counted and the slab moved less than the tolerance between two readings
 * SETTLE_READ_MS apart. Bounded: the servers get ACCEPT_BOUND_MS to accept, then the slab boundMs
 * to stop. Someone else's server cannot be asked: that wait is a plain sleep of boundMs.
 * slabBefore is the slab at the last sample, so the tolerance scales with what this step grew.
 */
export async function settleStep(root: HostRoot, servers: Array<Peer<'server'>>, established: number, boundMs: number, slabBefore: number): Promise<Settled> {
  const started = performance.now()
  const seconds = () => Number(((performance.now() - started) / 1000).toFixed(3))
  if (servers.length === 0) {
    await sleep(boundMs)
    return {established, seconds: seconds(), on: 'sleep'}
  }
  let deadline = started + ACCEPT_BOUND_MS + boundMs
  let accepted = false
  let previous: SettleReading | undefined
  for (;;) {
    const current = {serversOpen: (await countServerConnections(servers)).open, slab: readSlabBytes(root) ?? 0}
    if (hasSettled(previous, current, established, slabTolerance(current.slab - slabBefore))) return {established: current.serversOpen, seconds: seconds(), on: 'counters'}
    if (!accepted && current.serversOpen >= established) {
      accepted = true
      deadline = Math.min(deadline, performance.now() + boundMs)
    }
    if (performance.now() >= deadline) return {established: current.serversOpen, seconds: seconds(), on: 'bound'}
    previous = current
    await sleep(SETTLE_READ_MS)
  }
}

/** Adds each wait to the run's summary. */
export function addSettle(summary: SettleSummary, settled: Settled): void {
  summary.seconds = Number((summary.seconds + settled.seconds).toFixed(3))
  summary[settled.on]++
}
