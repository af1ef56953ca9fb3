import {listConfDir} from './limits.js'
import {type HostRoot, readHostText} from '../files/root.js'
import {normaliseSysctlValue} from './sysctl.js'
import type {SysctlFileEntry} from '../../core/host-snapshot.js'

/**
 * The order `sysctl --system` applies files in: *.conf from these directories sorted by
 * file name (a name in an earlier directory hides the same name in a later one),
 * then /etc/sysctl.conf last.
 */
const SYSCTL_DIRS = ['/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d']

export function sysctlFileOrder(root: HostRoot): string[] {
  const byName = new Map<string, string>()
  for (const dir of SYSCTL_DIRS) {
    for (const file of listConfDir(root, dir)) {
      const name = file.split('/').at(-1)!
      if (!byName.has(name)) byName.set(name, file)
    }
  }
  const names = [...byName.keys()].sort()
  return [...names.map((name) => byName.get(name)!), '/etc/sysctl.conf']
}

/** `key = value` lines; `#` and `;` comments; a leading `-` (ignore errors) is dropped. */
export function parseSysctlConf(text: string, file: string): SysctlFileEntry[] {
  const entries: SysctlFileEntry[] = []
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) continue
    const eq = line.indexOf('=')
    if (eq < 0) continue
    const key = line.slice(0, eq).trim().replace(/^-/, '').replaceAll('/', '.')
    entries.push({file, line: i + 1, key, value: normaliseSysctlValue(line.slice(eq + 1))})
  }
  return entries
}

export function readSysctlFiles(root: HostRoot): {entries: SysctlFileEntry[]; files: string[]} {
  const entries: SysctlFileEntry[] = []
  const files: string[] = []
  for (const file of sysctlFileOrder(root)) {
    const result = readHostText(root, file)
    if (!result.ok) continue
    files.push(file)
    entries.push(...parseSysctlConf(result.text, file))
  }
  return {entries, files}
}
