import {execa} from 'execa'

import {isOwnerAlive, parseProbeNetnsName} from './probe-netns-name.js'
import {listNetns} from './probe-netns.js'

/**
 * More probe namespaces than this in one sweep means something else is wrong: leave the rest to the
 * next run.
 */
const MAX_SWEEP = 1000

export interface StaleNetns {
  name: string
  /** The PID of the c1m process that made it, which is gone. */
  pid: number
}

/**
 * Delete the probe namespaces (c1m-probe-PID[-START]) whose owner process is gone, as a c1m
 * killed with SIGKILL leaves them; a namespace whose owner still runs is never touched.
 * Returns those deleted. Needs root.
 */
export async function removeStaleProbeNetns(): Promise<StaleNetns[]> {
  const removed: StaleNetns[] = []
  const stale = (await listNetns()).flatMap((name) => {
    const owner = parseProbeNetnsName(name)
    return owner && !isOwnerAlive(owner) ? [{name, pid: owner.pid}] : []
  })
  for (const netns of stale.slice(0, MAX_SWEEP)) {
    const result = await execa('ip', ['netns', 'delete', netns.name], {reject: false, timeout: 10_000})
    if (!result.failed) removed.push(netns)
  }
  return removed
}
