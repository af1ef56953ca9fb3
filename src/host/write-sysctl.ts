import {readFileSync, writeFileSync} from 'node:fs'

import {readNetnsSysctls, writeNetnsSysctl} from './netns.js'
import {hostPath, type HostRoot} from './root.js'
import {sysctlPath} from './sysctl.js'

/** A sysctl's file as the kernel prints it (tabs and newline kept, so it can be put back byte for byte). */
export async function readSysctlRaw(root: HostRoot, key: string, netns?: string): Promise<string | undefined> {
  if (netns) return (await readNetnsSysctls(netns, [key])).values[key]
  try {
    return readFileSync(hostPath(root, sysctlPath(key)), 'utf8')
  } catch {
    return undefined
  }
}

/**
 * Write a sysctl live: one write() to its /proc/sys file (under --root, the sandbox's file),
 * or inside a network namespace.
 */
export async function writeSysctlValue(root: HostRoot, key: string, value: string, netns?: string): Promise<void> {
  const text = value.endsWith('\n') ? value : `${value}\n`
  if (netns) return writeNetnsSysctl(netns, key, text)
  writeFileSync(hostPath(root, sysctlPath(key)), text)
}
