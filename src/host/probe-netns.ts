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

/** Create a network namespace with lo up and the probe's limits set; deleted again if any step fails. */
export async function createProbeNetns(name: string, ehashEntries?: number): Promise<ProbeNetns> {
  const add = () => execa('ip', ['netns', 'add', name], {reject: false, timeout: 10_000})
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
  let removed = false
  const removeSync = () => {
    if (removed) return
    removed = true
    execaSync('ip', ['netns', 'delete', name], {reject: false, timeout: 10_000})
  }
  const remove = async () => {
    if (removed) return
    removed = true
    await execa('ip', ['netns', 'delete', name], {reject: false, timeout: 10_000})
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
