import {type HostRoot, readHostText} from '../files/root.js'
import type {SlabCache, MemoryInfo} from '../../core/host-snapshot.js'

/** /proc/meminfo in bytes, keyed by field name. */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const match = /^(\S+):\s+(\d+)(?:\s+kB)?/.exec(line)
    if (match) out[match[1]] = Number(match[2]) * (line.includes('kB') ? 1024 : 1)
  }
  return out
}

/** /proc/slabinfo 2.1: name active num objsize objperslab pagesperslab : tunables ... */
export function parseSlabinfo(text: string): Record<string, SlabCache> {
  const out: Record<string, SlabCache> = {}
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('slabinfo') || line.startsWith('#')) continue
    const [name, active, total, objsize, objperslab, pagesperslab] = line.split(/\s+/)
    if (![active, total, objsize, objperslab, pagesperslab].every((f) => /^\d+$/.test(f ?? ''))) continue
    out[name] = {
      active: Number(active),
      total: Number(total),
      objsize: Number(objsize),
      objperslab: Number(objperslab),
      pagesperslab: Number(pagesperslab),
    }
  }
  return out
}

/** /proc/net/sockstat: {TCP: {inuse, orphan, tw, alloc, mem}, sockets: {used}, ...} */
export function parseSockstat(text: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {}
  for (const line of text.split('\n')) {
    const [proto, rest] = line.split(':')
    if (!rest) continue
    const fields = rest.trim().split(/\s+/)
    const row: Record<string, number> = {}
    for (let i = 0; i + 1 < fields.length; i += 2) if (/^\d+$/.test(fields[i + 1])) row[fields[i]] = Number(fields[i + 1])
    out[proto.trim()] = row
  }
  return out
}

/**
 * /proc/net/sockstat as parsed rows, or undefined when unreadable. With `pid`, the view of that
 * process's network namespace (/proc/PID/net/sockstat): the probe reads its namespace's counts.
 */
export function readSockstat(root: HostRoot, pid?: number): Record<string, Record<string, number>> | undefined {
  const text = readHostText(root, pid === undefined ? '/proc/net/sockstat' : `/proc/${pid}/net/sockstat`)
  return text.ok ? parseSockstat(text.text) : undefined
}

export function readMemory(root: HostRoot): MemoryInfo {
  const info: MemoryInfo = {problems: []}
  const meminfo = readHostText(root, '/proc/meminfo')
  if (meminfo.ok) info.meminfo = parseMeminfo(meminfo.text)
  else info.problems.push(meminfo.reason)
  const slab = readHostText(root, '/proc/slabinfo')
  if (slab.ok) info.slab = parseSlabinfo(slab.text)
  else info.problems.push(slab.reason)
  const sockstat = readHostText(root, '/proc/net/sockstat')
  if (sockstat.ok) info.sockstat = parseSockstat(sockstat.text)
  else info.problems.push(sockstat.reason)
  return info
}

/** Slab bytes now (/proc/meminfo Slab), or undefined when it cannot be read. */
export function readSlabBytes(root: HostRoot): number | undefined {
  const meminfo = readHostText(root, '/proc/meminfo')
  return meminfo.ok ? parseMeminfo(meminfo.text).Slab : undefined
}
