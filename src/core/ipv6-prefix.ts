import net from 'node:net'

import {usageError} from './errors.js'

/**
 * The bundled probe's IPv6 prefix in its namespace: a ULA /64 (RFC 4193), routed to lo as local so
 * that every address in it can be bound (with net.ipv6.ip_nonlocal_bind 1 in the namespace only).
 * The server listens on its ::1, the clients bind from ::2 up.
 */
export const PROBE_IPV6_PREFIX = 'fd00:c1::/64'
export const PROBE_IPV6_SERVER = 'fd00:c1::1'

/** An IPv6 address as a 128-bit number. */
export function ipv6ToBigInt(address: string): bigint {
  // "::" stands for as many zero groups as make eight.
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined]
  const groups = (text: string) => (text === '' ? [] : text.split(':'))
  const left = groups(head)
  const right = tail === undefined ? [] : groups(tail)
  const all = tail === undefined ? left : [...left, ...Array.from({length: 8 - left.length - right.length}, () => '0'), ...right]
  return all.reduce((n, group) => (n << 16n) | BigInt(Number.parseInt(group, 16)), 0n)
}

/** A 128-bit number as an IPv6 address, in its shortest form. */
export function bigIntToIpv6(n: bigint): string {
  const full = Array.from({length: 8}, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':')
  return new URL(`http://[${full}]/`).hostname.slice(1, -1)
}

/** `ADDR/LEN`, an IPv6 prefix of /8 to /128 such as fd00:c1::/64: its network and length. */
export function parseIpv6Prefix(text: string, flag = '--source'): {network: bigint; length: number} {
  const [address, bits, extra] = text.split('/')
  const length = /^\d{1,3}$/.test(bits ?? '') ? Number(bits) : Number.NaN
  // Embedded IPv4 (::ffff:1.2.3.4/96) is left out: the groups are read as hex.
  if (extra !== undefined || !net.isIPv6(address) || address.includes('.') || !(length >= 8 && length <= 128)) {
    throw usageError(`${flag} ${JSON.stringify(text.slice(0, 80))} is not an IPv6 prefix such as fd00:c1::/64`, 'write the prefix in hexadecimal groups with a length of 8 to 128')
  }
  const mask = ((1n << BigInt(length)) - 1n) << BigInt(128 - length)
  return {network: ipv6ToBigInt(address) & mask, length}
}

/**
 * `count` addresses inside a prefix, from the `first`-th after its network address up (so ::1, the
 * server's, can be left out); refused when the prefix holds fewer.
 */
export function addressesInPrefix(text: string, count: number, first = 1, flag = '--source'): string[] {
  const {network, length} = parseIpv6Prefix(text, flag)
  const size = 1n << BigInt(128 - length)
  if (BigInt(first + count) > size) throw usageError(`${flag} ${text} holds ${size - 1n} addresses, fewer than the ${count} the connections need`, 'give a wider prefix (a /64 is plenty)')
  return Array.from({length: count}, (_, i) => bigIntToIpv6(network + BigInt(first + i)))
}

/**
 * --source as addresses: each must be of the target's family; an IPv6 prefix gives `needed`
 * addresses inside it (from its ::1 up), spread over as the connections need.
 */
export function sourceAddresses(given: string[], family: 4 | 6, needed: number): string[] {
  const prefixes = given.filter((source) => source.includes('/'))
  if (prefixes.length > 1 || (prefixes.length === 1 && given.length > 1)) throw usageError('--source takes one IPv6 prefix, or addresses', 'give either one prefix or the addresses')
  if (prefixes.length === 1) {
    if (family !== 6) throw usageError(`--source ${prefixes[0]} is an IPv6 prefix and the target is IPv4`, 'give IPv4 source addresses')
    return addressesInPrefix(prefixes[0], needed)
  }
  for (const address of given) {
    if (net.isIP(address) !== family) throw usageError(`--source must be an IPv${family} address, as the target is, got ${JSON.stringify(address.slice(0, 80))}`)
  }
  return given
}
