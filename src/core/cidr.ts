import {usageError} from './errors.js'

function toInt(ip: string): number | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined
  return parts.reduce((n, p) => n * 256 + Number(p), 0)
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.')
}

/** An IPv4 CIDR such as 10.0.0.0/24 -> its first and last usable host addresses and prefix. */
export function parseCidr(cidr: string): {first: number; last: number; prefix: number} {
  const [ip, bits] = cidr.split('/')
  const base = toInt(ip ?? '')
  const prefix = Number(bits)
  if (base === undefined || !/^\d{1,2}$/.test(bits ?? '') || prefix < 8 || prefix > 32) {
    throw usageError(`--addresses must be an IPv4 block such as 10.0.0.0/24, got "${cidr}"`)
  }
  const size = 2 ** (32 - prefix)
  const network = Math.floor(base / size) * size
  // A /31 or /32 has no network and broadcast addresses to leave out.
  if (size <= 2) return {first: network, last: network + size - 1, prefix}
  return {first: network + 1, last: network + size - 2, prefix}
}

/**
 * The `count` source addresses to use from a block: addresses already on the interface
 * count first, then the lowest free ones. Returns those to add.
 */
export function pickAddresses(cidr: string, count: number, present: string[]): {add: string[]; have: string[]} {
  const {first, last} = parseCidr(cidr)
  const inBlock = present.filter((ip) => {
    const n = toInt(ip)
    return n !== undefined && n >= first && n <= last
  })
  const have = inBlock.slice(0, count)
  const add: string[] = []
  const taken = new Set(inBlock)
  for (let n = first; n <= last && have.length + add.length < count; n++) {
    const ip = toIp(n)
    if (!taken.has(ip)) add.push(ip)
  }
  if (have.length + add.length < count) {
    throw usageError(`--addresses ${cidr} holds ${last - first + 1} host addresses; ${count} are needed`, 'pass a larger block')
  }
  return {add, have}
}
