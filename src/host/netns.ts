import {existsSync, statSync} from 'node:fs'

import {execa, execaSync} from 'execa'

import {parseSockstat} from './read/memory.js'

import {C1mError} from '../core/errors.js'
import {isNetnsName} from '../core/host-names.js'
import type {NetnsId} from '../core/profile/apply-state.js'
import type {NetnsScope} from '../core/profile/plan-rows.js'
import {withChildEhash} from './probe/child-ehash.js'
import {readStartTime} from './read/process-stat.js'
import {sysctlPath} from './read/sysctl.js'

// Network namespaces, in one place: those apply and doctor name (--netns), the probe's own
// (c1m-probe-PID-STARTTIME, made with its limits, deleted after), and the sweep of those a killed
// run left behind.

/** Does a named network namespace (ip netns add NAME) exist? */
export function netnsExists(name: string): boolean {
  return isNetnsName(name) && existsSync(`/run/netns/${name}`)
}

/** Which namespace /run/netns/NAME is now (the inode of its nsfs file), or undefined when there is none. */
export function netnsIdentity(name: string): NetnsId | undefined {
  if (!isNetnsName(name)) return undefined
  try {
    const stat = statSync(`/run/netns/${name}`)
    return {dev: stat.dev, ino: stat.ino}
  } catch {
    return undefined
  }
}

export function requireNetns(name: string): void {
  if (!netnsExists(name)) {
    throw new C1mError('E_USAGE', `no network namespace named "${name}" (none in /run/netns)`, `create it with \`ip netns add ${name}\`, or check \`ip netns list\``)
  }
}

/**
 * Values and scope of sysctls seen from inside a namespace: writable there (per-namespace),
 * read-only there (the host sets it), or absent (global, not in the namespace's /proc/sys).
 * Two processes in the namespace: stat for the modes, grep for the values.
 */
export async function readNetnsSysctls(name: string, keys: string[]): Promise<{values: Record<string, string>; scope: Record<string, NetnsScope>}> {
  const paths = keys.map((k) => sysctlPath(k))
  const values: Record<string, string> = {}
  const scope: Record<string, NetnsScope> = {}
  for (const key of keys) scope[key] = 'absent'
  if (paths.length === 0) return {values, scope}
  const stat = await execa('ip', ['netns', 'exec', name, 'stat', '-c', '%n|%a', ...paths], {reject: false})
  const byPath = new Map(keys.map((k) => [sysctlPath(k), k]))
  for (const line of stat.stdout.split('\n')) {
    const [path, mode] = line.split('|')
    const key = byPath.get(path)
    if (key) scope[key] = (Number.parseInt(mode, 8) & 0o200) === 0 ? 'read-only' : 'namespace'
  }
  const read = await execa('ip', ['netns', 'exec', name, 'grep', '-H', '', ...paths], {reject: false})
  for (const line of read.stdout.split('\n')) {
    const colon = line.indexOf(':')
    const key = byPath.get(line.slice(0, colon))
    if (key) values[key] = `${line.slice(colon + 1)}\n`
  }
  return {values, scope}
}

/**
 * The TCP sockets a namespace holds now, IPv4 and IPv6 added up: in use (any state but TIME_WAIT)
 * and in TIME_WAIT, from its /proc/net/sockstat*; undefined when they cannot be read.
 */
export async function readNetnsTcp(name: string): Promise<{inuse: number; tw: number} | undefined> {
  const read = await execa('ip', ['netns', 'exec', name, 'cat', '/proc/net/sockstat', '/proc/net/sockstat6'], {reject: false, timeout: 10_000})
  if (read.failed) return undefined
  const rows = parseSockstat(read.stdout)
  return {inuse: (rows.TCP?.inuse ?? 0) + (rows.TCP6?.inuse ?? 0), tw: rows.TCP?.tw ?? 0}
}

/** Write one sysctl inside a namespace, through its /proc/sys (tee, no shell). */
export async function writeNetnsSysctl(name: string, key: string, value: string): Promise<void> {
  const result = await execa('ip', ['netns', 'exec', name, 'tee', sysctlPath(key)], {input: value, reject: false})
  if (result.exitCode !== 0) throw new Error(`writing ${key} in namespace ${name}: ${result.stderr.trim() || `tee exited ${result.exitCode}`}`)
}

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

/**
 * The probe's IPv6 in its namespace: `prefix` routed to lo as local, so every address in it is this
 * host's, and net.ipv6.ip_nonlocal_bind 1 there (never on the host) so that the clients can bind
 * any of them without adding each. Returns the sysctl set.
 */
export async function addNetnsIpv6Prefix(name: string, prefix: string): Promise<Record<string, string>> {
  const route = await execa('ip', ['-n', name, '-6', 'route', 'add', 'local', prefix, 'dev', 'lo'], {reject: false, timeout: 10_000})
  if (route.failed) throw new Error(`ip -n ${name} -6 route add local ${prefix} dev lo: ${String(route.stderr || route.shortMessage).trim()} (is IPv6 disabled on this kernel?)`)
  await writeNetnsSysctl(name, 'net.ipv6.ip_nonlocal_bind', '1')
  return {'net.ipv6.ip_nonlocal_bind': '1'}
}

/** Names in `ip netns list` (the first word of each line). */
export async function listNetns(): Promise<string[]> {
  const result = await execa('ip', ['netns', 'list'], {reject: false, timeout: 10_000})
  return String(result.stdout ?? '').split('\n').map((line) => line.split(' ')[0]).filter(Boolean)
}

/** Every probe namespace's name starts with this; the rest names the c1m process that owns it. */
export const PROBE_NETNS_PREFIX = 'c1m-probe-'

/** The c1m process a probe namespace belongs to: its PID and, in current names, its start time. */
export interface NetnsOwner {
  pid: number
  /** Clock ticks after boot at which the owner started (field 22 of /proc/PID/stat); absent in old names. */
  startTime?: number
}

/**
 * The namespace name for a probe run by process `pid`: c1m-probe-PID-STARTTIME. The start time
 * makes it unique across PID reuse, so a namespace left by a killed run never collides with a new one.
 */
export function probeNetnsName(pid: number = process.pid): string {
  const start = readStartTime(pid)
  if (start === undefined) throw new Error(`cannot read the start time of process ${pid}`)
  return `${PROBE_NETNS_PREFIX}${pid}-${start}`
}

/**
 * The owner a probe namespace's name records (c1m-probe-PID-START, or c1m-probe-PID from older
 * c1m; with -cK or -nat after it, a simulated client host or NAT router of that run);
 * undefined for other names.
 */
export function parseProbeNetnsName(name: string): NetnsOwner | undefined {
  const match = /^c1m-probe-(\d+)(?:-(\d+))?(?:-(?:c\d{1,3}|nat))?$/.exec(name)
  if (!match) return undefined
  return match[2] === undefined ? {pid: Number(match[1])} : {pid: Number(match[1]), startTime: Number(match[2])}
}

/** Is the process that made a namespace still running (the same process: same PID and start time)? */
export function isOwnerAlive(owner: NetnsOwner): boolean {
  const start = readStartTime(owner.pid)
  if (start === undefined) return false
  return owner.startTime === undefined || owner.startTime === start
}

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
