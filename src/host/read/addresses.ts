import {cleanJson, cleanLine} from '../../core/clean-text.js'
import {type HostRoot, readHostText} from '../files/root.js'
import type {LocalAddress} from '../../core/host-snapshot.js'

/** Saved interfaces of a snapshot tree, written by `c1m snapshot`. */
export const SAVED_ADDRESSES = '/c1m/addresses.json'

function prefixFromNetmask(mask: string): number {
  if (mask.includes(':')) return mask.split(':').reduce((bits, part) => bits + (part ? Number.parseInt(part, 16).toString(2).split('1').length - 1 : 0), 0)
  return mask.split('.').reduce((bits, octet) => bits + (Number(octet).toString(2).split('1').length - 1), 0)
}

/** A snapshot's addresses.json, checked entry by entry; anything else is a problem, never a throw. */
export function parseSavedAddresses(text: string): {addresses: LocalAddress[]; problem?: string} {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return {addresses: [], problem: `${SAVED_ADDRESSES} is not JSON (${cleanLine((error as Error).message)})`}
  }
  // Another host's names: cleaned of control characters where they are read
  const clean = cleanJson(value)
  if (!clean.ok) return {addresses: [], problem: `${SAVED_ADDRESSES} is ${clean.reason}`}
  value = clean.value
  if (!Array.isArray(value)) return {addresses: [], problem: `${SAVED_ADDRESSES} is not a list of addresses`}
  const bad = value.findIndex((a: Partial<LocalAddress> | null) => typeof a !== 'object' || a === null || typeof a.iface !== 'string' || typeof a.address !== 'string'
    || (a.family !== 'IPv4' && a.family !== 'IPv6') || !Number.isInteger(a.prefix) || typeof a.internal !== 'boolean')
  if (bad >= 0) return {addresses: [], problem: `${SAVED_ADDRESSES}: entry ${bad} is not {iface, address, family, prefix, internal}`}
  return {addresses: value as LocalAddress[]}
}

/**
 * Local addresses per interface that is not down. Interfaces and their state come from
 * /sys/class/net; every address on each (including ones added with `ip addr add`) from
 * Node's os.networkInterfaces(). In a saved tree, the snapshot's file.
 *
 * Not systeminformation's networkInterfaces(): it spawns processes (ip, ethtool, nmcli and
 * the like) and cost about 200 ms of every `c1m doctor`; what doctor needs is in /sys and
 * in `os`. systeminformation stays where it serves: the machine description of a snapshot
 * (snapshot.ts), read once, lazily imported.
 */
export async function readAddresses(root: HostRoot): Promise<{addresses: LocalAddress[]; problem?: string}> {
  if (!root.live) {
    const saved = readHostText(root, SAVED_ADDRESSES)
    if (!saved.ok) return {addresses: [], problem: saved.reason}
    return parseSavedAddresses(saved.text)
  }
  const os = await import('node:os')
  const addresses: LocalAddress[] = []
  for (const [iface, list] of Object.entries(os.networkInterfaces())) {
    const state = readHostText(root, `/sys/class/net/${iface}/operstate`)
    if (state.ok && state.text.trim() === 'down') continue
    for (const a of list ?? []) {
      addresses.push({iface, address: a.address, family: a.family, prefix: prefixFromNetmask(a.netmask), internal: a.internal})
    }
  }
  return {addresses}
}
