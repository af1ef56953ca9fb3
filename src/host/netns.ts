import {existsSync, statSync} from 'node:fs'

import {execa} from 'execa'

import type {NetnsId} from '../core/profile/apply-state.js'
import {isNetnsName} from '../core/host-names.js'
import {C1mError} from '../core/errors.js'
import {sysctlPath} from './sysctl.js'
import type {NetnsScope} from '../core/profile/plan-rows.js'

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

/** Write one sysctl inside a namespace, through its /proc/sys (tee, no shell). */
export async function writeNetnsSysctl(name: string, key: string, value: string): Promise<void> {
  const result = await execa('ip', ['netns', 'exec', name, 'tee', sysctlPath(key)], {input: value, reject: false})
  if (result.exitCode !== 0) throw new Error(`writing ${key} in namespace ${name}: ${result.stderr.trim() || `tee exited ${result.exitCode}`}`)
}
