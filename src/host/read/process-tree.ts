import {readdirSync} from 'node:fs'

import {hostPath, type HostRoot, readHostText} from '../files/root.js'

/**
 * A process and all its descendants (from /proc/PID/task/TID/children), the process first; [] when
 * it is gone.
 */
export function readProcessTree(root: HostRoot, pid: number): number[] {
  const seen = new Set<number>()
  const queue = [pid]
  while (queue.length > 0 && seen.size < 100_000) {
    const next = queue.shift()!
    if (seen.has(next)) continue
    let tasks: string[]
    try {
      tasks = readdirSync(hostPath(root, `/proc/${next}/task`))
    } catch {
      continue // gone (or never was)
    }
    seen.add(next)
    for (const task of tasks) {
      const children = readHostText(root, `/proc/${next}/task/${task}/children`)
      if (children.ok) queue.push(...children.text.trim().split(/\s+/).filter(Boolean).map(Number))
    }
  }
  return [...seen]
}
