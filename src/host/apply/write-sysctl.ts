import {sysctlPath} from '../../core/sysctl-name.js'
import {readNetnsSysctls, writeNetnsSysctl} from '../netns.js'
import type {HostRoot} from '../files/root.js'
import {readFileOrNull, writeFileInPlace} from './write-files.js'

/** A sysctl's file as the kernel prints it (tabs and newline kept, so it can be put back byte for byte). */
export async function readSysctlRaw(root: HostRoot, key: string, netns?: string): Promise<string | undefined> {
  if (netns) return (await readNetnsSysctls(netns, [key])).values[key]
  try {
    return readFileOrNull(root, sysctlPath(key))?.toString('utf8')
  } catch {
    return undefined
  }
}

/**
 * Write a sysctl live: one write() to its /proc/sys file (under --root, the sandbox's file,
 * which must exist and is never reached through a link), or inside a network namespace.
 */
export async function writeSysctlValue(root: HostRoot, key: string, value: string, netns?: string): Promise<void> {
  const text = value.endsWith('\n') ? value : `${value}\n`
  if (netns) return writeNetnsSysctl(netns, key, text)
  writeFileInPlace(root, sysctlPath(key), text)
}
