import {readFileSync} from 'node:fs'

/** Every probe namespace's name starts with this; the rest names the c1m process that owns it. */
export const PROBE_NETNS_PREFIX = 'c1m-probe-'

/** The c1m process a probe namespace belongs to: its PID and, in current names, its start time. */
export interface NetnsOwner {
  pid: number
  /** Clock ticks after boot at which the owner started (field 22 of /proc/PID/stat); absent in old names. */
  startTime?: number
}

/** A process's start time in clock ticks after boot, or undefined when it is gone or a zombie. */
export function readStartTime(pid: number): number | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined
  const start = Number(fields[19])
  return Number.isInteger(start) ? start : undefined
}

/**
 * The namespace name for a probe run by process `pid`: c1m-probe-PID-STARTTIME. The start time
 * makes it unique across PID reuse, so a namespace left by a killed run never collides with a new one.
 */
export function probeNetnsName(pid: number = process.pid): string {
  const start = readStartTime(pid)
  if (start === undefined) throw new Error(`cannot read the start time of process ${pid}`)
  return `${PROBE_NETNS_PREFIX}${pid}-${start}`
}

/**
 * The owner a probe namespace's name records (c1m-probe-PID-START, or c1m-probe-PID from older
 * c1m; with -cK or -nat after it, a simulated client host or NAT router of that run);
 * undefined for other names.
 */
export function parseProbeNetnsName(name: string): NetnsOwner | undefined {
  const match = /^c1m-probe-(\d+)(?:-(\d+))?(?:-(?:c\d{1,3}|nat))?$/.exec(name)
  if (!match) return undefined
  return match[2] === undefined ? {pid: Number(match[1])} : {pid: Number(match[1]), startTime: Number(match[2])}
}

/** Is the process that made a namespace still running (the same process: same PID and start time)? */
export function isOwnerAlive(owner: NetnsOwner): boolean {
  const start = readStartTime(owner.pid)
  if (start === undefined) return false
  return owner.startTime === undefined || owner.startTime === start
}
