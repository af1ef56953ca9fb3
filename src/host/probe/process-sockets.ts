import {readdirSync, readlinkSync} from 'node:fs'

import {hostPath, type HostRoot, readHostText} from '../files/root.js'

/** At most this many descriptors are read per process tree (a bound, far above a probe's). */
const FD_CAP = 8_000_000

/**
 * The sockets a process tree holds: the distinct socket inodes of its processes' /proc/PID/fd
 * (a socket shared by a parent and its children counts once); undefined when a process's
 * descriptors cannot be read (another user's process without root). Reading /proc/PID/fd gives
 * each socket a proc inode, so call it outside the ramp's samples.
 */
export function countTreeSockets(root: HostRoot, pids: number[]): number | undefined {
  const inodes = new Set<string>()
  let read = 0
  for (const pid of pids) {
    let fds: string[]
    try {
      fds = readdirSync(hostPath(root, `/proc/${pid}/fd`))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue // gone since the tree was read
      return undefined
    }
    for (const fd of fds) {
      if (++read > FD_CAP) return undefined
      let link: string
      try {
        link = readlinkSync(hostPath(root, `/proc/${pid}/fd/${fd}`))
      } catch {
        continue // closed meanwhile
      }
      const match = /^socket:\[(\d+)\]$/.exec(link)
      if (match) inodes.add(match[1])
    }
  }
  return inodes.size
}

/** A process's name (/proc/PID/comm), or "" when it is gone. */
export function readProcessName(root: HostRoot, pid: number): string {
  const comm = readHostText(root, `/proc/${pid}/comm`)
  return comm.ok ? comm.text.trim() : ''
}
