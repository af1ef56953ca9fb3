import {type HostRoot, readHostChunks, readHostText} from '../files/root.js'

/** The per-family counts a snapshot saves in place of /proc/net/nf_conntrack. */
export const SAVED_CONNTRACK_FAMILIES = '/c1m/conntrack-families.json'

function readSavedConntrackFamilies(root: HostRoot): ConntrackFamilies {
  const saved = readHostText(root, SAVED_CONNTRACK_FAMILIES)
  if (!saved.ok) return {problem: saved.reason}
  try {
    const value = JSON.parse(saved.text) as {ipv4?: unknown; ipv6?: unknown}
    if (Number.isSafeInteger(value.ipv4) && Number.isSafeInteger(value.ipv6) && (value.ipv4 as number) >= 0 && (value.ipv6 as number) >= 0) {
      return {ipv4: value.ipv4 as number, ipv6: value.ipv6 as number}
    }
  } catch {
    // falls through to the problem
  }
  return {problem: `${SAVED_CONNTRACK_FAMILIES} is not {ipv4, ipv6} counts`}
}
import type {ConntrackFamilies, NeighbourEntries} from '../../core/host-snapshot.js'

/**
 * Entries in a neighbour table now: the first column ("entries", hex) of /proc/net/stat/arp_cache
 * (IPv4) or ndisc_cache (IPv6). The kernel prints the table's one count on every CPU's line.
 */
export function parseNeighbourStat(text: string): number | undefined {
  const [header, first] = text.split('\n')
  if (!header?.trim().startsWith('entries') || !first) return undefined
  const hex = first.trim().split(/\s+/)[0]
  return /^[0-9a-f]{1,8}$/i.test(hex) ? Number.parseInt(hex, 16) : undefined
}

export function readNeighbourEntries(root: HostRoot): NeighbourEntries {
  const out: NeighbourEntries = {problems: []}
  for (const [family, file] of [['ipv4', '/proc/net/stat/arp_cache'], ['ipv6', '/proc/net/stat/ndisc_cache']] as const) {
    const text = readHostText(root, file)
    const entries = text.ok ? parseNeighbourStat(text.text) : undefined
    if (entries === undefined) out.problems.push(text.ok ? `${file}: no entries count` : text.reason)
    else out[family] = entries
  }
  return out
}

/** Above this many tracked connections /proc/net/nf_conntrack is not read line by line (slow). */
export const CONNTRACK_SPLIT_MAX = 50_000

/**
 * Tracked connections per family: the lines of /proc/net/nf_conntrack begin with "ipv4" or "ipv6".
 * nf_conntrack_count and nf_conntrack_max are one table for both families; this splits the count.
 * Not read when the table holds more than CONNTRACK_SPLIT_MAX (the count alone says enough then).
 */
export function readConntrackFamilies(root: HostRoot, count: number | undefined): ConntrackFamilies | undefined {
  if (count === undefined) return undefined
  // A saved tree keeps the counts, never the table (it names every peer): c1m/conntrack-families.json.
  if (!root.live) return readSavedConntrackFamilies(root)
  if (count > CONNTRACK_SPLIT_MAX) return {problem: `${count} tracked connections: too many to split by family from /proc/net/nf_conntrack`}
  const split = {ipv4: 0, ipv6: 0}
  let rest = ''
  const take = (line: string) => {
    if (line.startsWith('ipv4 ')) split.ipv4++
    else if (line.startsWith('ipv6 ')) split.ipv6++
  }
  const read = readHostChunks(root, '/proc/net/nf_conntrack', (chunk) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) take(line)
  }, (CONNTRACK_SPLIT_MAX + 1000) * 400)
  if (!read.ok) return {problem: read.reason}
  take(rest)
  return split
}
