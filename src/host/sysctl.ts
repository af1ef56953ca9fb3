import path from 'node:path'

import {type HostRoot, type ReadResult, readHostText} from './root.js'

/**
 * The one rule between a sysctl name and its /proc/sys file: dots are path separators,
 * and a slash inside a name part (an interface such as `eth0.100`) is written as a dot.
 *   net.ipv4.tcp_mem            <-> /proc/sys/net/ipv4/tcp_mem
 *   net.ipv4.conf.eth0/100.rp_filter <-> /proc/sys/net/ipv4/conf/eth0.100/rp_filter
 */
export function sysctlPath(key: string): string {
  const parts = key.split('.').map((part) => part.replaceAll('/', '.'))
  return path.posix.join('/proc/sys', ...parts)
}

export function sysctlKey(file: string): string {
  const rel = path.posix.relative('/proc/sys', file)
  return rel.split('/').map((part) => part.replaceAll('.', '/')).join('.')
}

/** Normalise a sysctl value as the kernel prints it: whitespace runs become one space. */
export function normaliseSysctlValue(value: string): string {
  return value.trim().split(/\s+/).join(' ')
}

export function readSysctl(root: HostRoot, key: string): ReadResult {
  const result = readHostText(root, sysctlPath(key))
  return result.ok ? {ok: true, text: normaliseSysctlValue(result.text)} : result
}
