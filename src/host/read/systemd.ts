import {existsSync} from 'node:fs'

import {listConfDir} from './limits.js'
import {hostPath, type HostRoot, readHostText} from '../files/root.js'
import type {SystemdInfo} from '../../core/host-snapshot.js'

/** The last `Key=value` in the files of an INI-like systemd config, with the file it came from. */
export function lastSetting(root: HostRoot, files: string[], key: string): {value: string; file: string} | undefined {
  let found: {value: string; file: string} | undefined
  for (const file of files) {
    const result = readHostText(root, file)
    if (!result.ok) continue
    for (const raw of result.text.split('\n')) {
      const match = new RegExp(`^\\s*${key}\\s*=\\s*(.*?)\\s*$`).exec(raw)
      if (match) found = {value: match[1], file}
    }
  }
  return found
}

const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system']

/** Unit file and drop-ins, in the order systemd applies them (drop-ins last, by name). */
function unitFiles(root: HostRoot, name: string): string[] {
  const main = UNIT_DIRS.map((dir) => `${dir}/${name}`).find((file) => existsSync(hostPath(root, file)))
  const dropIns = UNIT_DIRS.flatMap((dir) => listConfDir(root, `${dir}/${name}.d`))
  dropIns.sort((a, b) => a.split('/').at(-1)!.localeCompare(b.split('/').at(-1)!))
  return [...(main ? [main] : []), ...dropIns]
}

export function readSystemd(root: HostRoot, unit?: string): SystemdInfo {
  const running = existsSync(hostPath(root, '/run/systemd/system'))
  const files = ['/etc/systemd/system.conf', ...listConfDir(root, '/etc/systemd/system.conf.d')]
  const info: SystemdInfo = {running, defaultLimitNOFILE: lastSetting(root, files, 'DefaultLimitNOFILE')}
  if (unit) {
    const name = unit.includes('.') ? unit : `${unit}.service`
    const uf = unitFiles(root, name)
    if (uf.length === 0) info.unit = {name, problem: `no unit file for ${name} under ${UNIT_DIRS.join(', ')}`}
    else {
      const setting = lastSetting(root, uf, 'LimitNOFILE')
      info.unit = {name, limitNOFILE: setting?.value, source: setting?.file}
    }
  }
  return info
}
