import {readlinkSync} from 'node:fs'

import {hostPath, type HostRoot, hostRoot, readHostText} from '../files/root.js'

/** PF_KTHREAD in the flags of /proc/PID/stat (include/linux/sched.h). */
const PF_KTHREAD = 0x0020_0000

export interface ProcessStat {
  pid: number
  /** The command name, as the kernel keeps it (at most 15 characters). */
  comm: string
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string
  ppid: number
  flags: number
  /** Clock ticks after boot at which the process started (field 22); absent in a cut line. */
  startTime?: number
}

/** /proc/PID/stat: `pid (comm) state ppid ... flags ...`; comm may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcessStat | undefined {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) return undefined
  const pid = Number(text.slice(0, open).trim())
  // After comm: state(0) ppid(1) pgrp(2) session(3) tty_nr(4) tpgid(5) flags(6) ... starttime(19)
  const rest = text.slice(close + 1).trim().split(/\s+/)
  const [state, ppid, flags, start] = [rest[0], rest[1], rest[6], rest[19]]
  const numbers = [ppid, flags].every((field) => /^\d+$/.test(field ?? ''))
  if (!Number.isInteger(pid) || !state || !numbers) return undefined
  const startTime = /^\d+$/.test(start ?? '') ? {startTime: Number(start)} : {}
  return {pid, comm: text.slice(open + 1, close), state, ppid: Number(ppid), flags: Number(flags), ...startTime}
}

export function readProcessStat(root: HostRoot, pid: number): ProcessStat | undefined {
  const text = readHostText(root, `/proc/${pid}/stat`)
  return text.ok ? parseProcStat(text.text) : undefined
}

/** A live process's start time in clock ticks after boot, or undefined when it is gone or a zombie. */
export function readStartTime(pid: number): number | undefined {
  const stat = readProcessStat(hostRoot('/'), pid)
  return stat && stat.state !== 'Z' && stat.state !== 'X' ? stat.startTime : undefined
}

/**
 * A kernel thread (kthreadd, ksoftirqd, ...) has PF_KTHREAD set and no executable: it holds no
 * sockets of a server and its limits mean nothing. On the live host a missing /proc/PID/exe link
 * (ENOENT, while /proc/PID exists) says the same when stat is unreadable.
 */
export function isKernelThread(root: HostRoot, pid: number): boolean {
  const stat = readProcessStat(root, pid)
  if (stat) return (stat.flags & PF_KTHREAD) !== 0
  if (!root.live) return false
  try {
    readlinkSync(hostPath(root, `/proc/${pid}/exe`))
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
  }
}
