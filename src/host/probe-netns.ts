import {execa, execaSync} from 'execa'

import {withChildEhash} from './child-ehash.js'
import {writeNetnsSysctl} from './netns.js'

/**
 * Per-namespace limits the probe sets inside its own namespace. Both are per network
 * namespace, so setting them there leaves the host's values alone.
 */
export const PROBE_NETNS_SYSCTLS: Record<string, string> = {
  'net.core.somaxconn': '65535',
  'net.ipv4.ip_local_port_range': '1024 65535',
}

export interface ProbeNetns {
  name: string
  /** The sysctls set inside it. */
  sysctls: Record<string, string>
  /** With an established hash of its own: its buckets, and the host value put back after creating it. */
  ownEhash?: {entries: number; restored: string}
  /** Delete the namespace (idempotent). Processes still in it keep it alive until they exit. */
  remove(): Promise<void>
  /** The same, synchronously, for exit paths that cannot wait. */
  removeSync(): void
}

/**
 * Guard a namespace from the moment it exists: called with its synchronous delete, returns the
 * call that drops the guard once it is deleted (src/probe/exit-cleanup.ts cleanupOnExit).
 */
export type NetnsGuard = (removeSync: () => void) => () => void

/**
 * Create a network namespace with lo up and the probe's limits set; deleted again if any step fails.
 * `ip netns add` runs synchronously, and the guard is set before anything else runs: a second
 * Ctrl-C (process.exit in a signal handler) can only come between event-loop turns, so there is no
 * moment when the namespace exists and the exit hook does not know it.
 */
export async function createProbeNetns(name: string, ehashEntries?: number, guard?: NetnsGuard): Promise<ProbeNetns> {
  let unguard = () => {}
  let removed = false
  const removeSync = () => {
    if (removed) return
    removed = true
    execaSync('ip', ['netns', 'delete', name], {reject: false, timeout: 10_000})
    unguard()
  }
  const add = async () => {
    const result = execaSync('ip', ['netns', 'add', name], {reject: false, timeout: 10_000})
    // A Ctrl-C to the terminal's process group may have ended `ip` half-way: delete whatever it made.
    if (result.failed) execaSync('ip', ['netns', 'delete', name], {reject: false, timeout: 10_000})
    else if (guard) unguard = guard(removeSync)
    return result
  }
  let ownEhash: ProbeNetns['ownEhash']
  let added: Awaited<ReturnType<typeof add>>
  if (ehashEntries) {
    const made = await withChildEhash(ehashEntries, add)
    added = made.result
    ownEhash = {entries: ehashEntries, restored: made.previous}
  } else added = await add()
  if (added.failed) {
    const why = (added as {code?: string}).code === 'ENOENT' ? 'the ip command (iproute2) is not installed' : String(added.stderr || added.shortMessage).trim()
    throw new Error(`ip netns add ${name}: ${why}`)
  }
  const remove = async () => {
    if (removed) return
    removed = true
    await execa('ip', ['netns', 'delete', name], {reject: false, timeout: 10_000})
    unguard()
  }
  try {
    const up = await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up'], {reject: false, timeout: 10_000})
    if (up.failed) throw new Error(`ip -n ${name} link set lo up: ${String(up.stderr || up.shortMessage).trim()}`)
    for (const [key, value] of Object.entries(PROBE_NETNS_SYSCTLS)) await writeNetnsSysctl(name, key, value)
  } catch (error) {
    await remove()
    throw error
  }
  return {name, sysctls: {...PROBE_NETNS_SYSCTLS}, ...(ownEhash ? {ownEhash} : {}), remove, removeSync}
}

/** Names in `ip netns list` (the first word of each line). */
export async function listNetns(): Promise<string[]> {
  const result = await execa('ip', ['netns', 'list'], {reject: false, timeout: 10_000})
  return String(result.stdout ?? '').split('\n').map((line) => line.split(' ')[0]).filter(Boolean)
}
