import {readProcessInfo} from '../host/limits.js'
import type {HostRoot} from '../host/root.js'
import {readSysctl} from '../host/sysctl.js'

/** The hard RLIMIT_NOFILE the probe processes inherit from this one ("unlimited" means fs.nr_open). */
export function readHardNofile(root: HostRoot): number {
  const hard = readProcessInfo(root, 'self').nofile?.hard
  if (typeof hard === 'number') return hard
  const nrOpen = readSysctl(root, 'fs.nr_open')
  return nrOpen.ok ? Number(nrOpen.text) : 1_048_576
}
