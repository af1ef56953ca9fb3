import {type HostRoot, readHostText} from '../files/root.js'

export interface ProcessMemory {
  /** Resident set size in bytes (VmRSS of /proc/PID/status). */
  rss: number
  /** Proportional set size in bytes (smaps_rollup), which splits shared pages among their users. */
  pss?: number
}

/** A "Name:   1234 kB" field of /proc/PID/status or smaps_rollup, in bytes. */
export function parseKbField(text: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)
  return match ? Number(match[1]) * 1024 : undefined
}

/** RSS and PSS of one process; undefined when it is gone or unreadable. */
export function readProcessMemory(root: HostRoot, pid: number): ProcessMemory | undefined {
  const status = readHostText(root, `/proc/${pid}/status`)
  const rss = status.ok ? parseKbField(status.text, 'VmRSS') : undefined
  if (rss === undefined) return undefined
  const rollup = readHostText(root, `/proc/${pid}/smaps_rollup`)
  const pss = rollup.ok ? parseKbField(rollup.text, 'Pss') : undefined
  return pss === undefined ? {rss} : {rss, pss}
}
