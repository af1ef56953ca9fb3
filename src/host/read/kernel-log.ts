import {type HostRoot, readHostText, readNonBlocking} from '../files/root.js'
import type {KernelLogLine, KernelLog} from '../../core/host-snapshot.js'

/** /dev/kmsg records: `prio,seq,usec,flags[,...];message` (continuation lines start with a space). */
export function parseKmsg(text: string): KernelLogLine[] {
  const lines: KernelLogLine[] = []
  for (const record of text.split('\n')) {
    const semi = record.indexOf(';')
    if (semi < 0 || record.startsWith(' ')) continue
    const usec = Number(record.slice(0, semi).split(',')[2])
    if (Number.isNaN(usec)) continue
    lines.push({uptime: usec / 1e6, message: record.slice(semi + 1)})
  }
  return lines
}

export function readKernelLog(root: HostRoot, now = Date.now()): KernelLog {
  const result = readNonBlocking(root, '/dev/kmsg')
  if (!result.ok) return {readable: false, reason: result.reason, lines: []}
  const uptime = readHostText(root, '/proc/uptime')
  const bootTime = uptime.ok && root.live ? now / 1000 - Number(uptime.text.split(' ')[0]) : undefined
  return {readable: true, lines: parseKmsg(result.text), bootTime}
}
