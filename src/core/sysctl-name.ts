import path from 'node:path'

import {C1mError} from './errors.js'

// A sysctl name is a path in disguise, and c1m writes it as root: the one rule for what a
// name may be, and the one rule between a name and its /proc/sys file, live here together.

const PART = /^[A-Za-z0-9_-]+$/
/**
 * A part that names a network interface, where the kernel writes its dots as slashes (eth0.100 ->
 * eth0/100).
 */
const IFACE_PART = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/
const IFACE_PARENTS = new Set(['conf', 'neigh'])

/**
 * Is this a sysctl name? Two or more dot-separated parts of [A-Za-z0-9_-], none empty. A
 * slash is allowed only in the interface part of net.*.conf.IF / net.*.neigh.IF, and only
 * between characters, so a part can never become `.`, `..` or empty in the path.
 */
export function isSysctlKey(key: unknown): key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 256) return false
  const parts = key.split('.')
  if (parts.length < 2 || !/^[a-z]/.test(parts[0])) return false
  return parts.every((part, i) => PART.test(part) || (parts[0] === 'net' && i >= 2 && IFACE_PARENTS.has(parts[i - 1]) && IFACE_PART.test(part)))
}

export function assertSysctlKey(key: string): void {
  if (!isSysctlKey(key)) {
    throw new C1mError('E_USAGE', `"${key}" is not a sysctl name (dot-separated parts of letters, digits, _ and -)`, 'use a name such as net.core.somaxconn')
  }
}

/**
 * The one rule between a sysctl name and its /proc/sys file: dots are path separators,
 * and a slash inside a name part (an interface such as `eth0.100`) is written as a dot.
 *   net.ipv4.tcp_mem            <-> /proc/sys/net/ipv4/tcp_mem
 *   net.ipv4.conf.eth0/100.rp_filter <-> /proc/sys/net/ipv4/conf/eth0.100/rp_filter
 * A name that is not one throws: no input can make this path leave /proc/sys.
 */
export function sysctlPath(key: string): string {
  assertSysctlKey(key)
  const parts = key.split('.').map((part) => part.replaceAll('/', '.'))
  return path.posix.join('/proc/sys', ...parts)
}

export function sysctlKey(file: string): string {
  const rel = path.posix.relative('/proc/sys', file)
  return rel.split('/').map((part) => part.replaceAll('.', '/')).join('.')
}
