import net from 'node:net'

import {usageError} from './errors.js'

const COUNT_SUFFIX: Record<string, number> = {'': 1, k: 1e3, m: 1e6, g: 1e9}

/** Commas only as thousands separators: 1,000,000 (not 1,5 or 1,000,0000). */
const THOUSANDS = /^\d{1,3}(?:,\d{3})+(?![\d,])/

/**
 * Parse a connection count: `1e6`, `1M`, `250k`, `1000000`, `1_000_000`, `1,000,000`. Must be a
 * positive whole number.
 */
export function parseCount(input: string, flag = 'count'): number {
  const raw = String(input).trim().replaceAll('_', '')
  if (raw.includes(',') && !THOUSANDS.test(raw)) {
    throw usageError(`--${flag} "${input}": commas may only separate thousands in groups of three`, 'write it as 1,000,000, 1000000 or 1M')
  }
  const text = raw.replaceAll(',', '')
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmg]?)$/i.exec(text)
  const value = match ? Number(match[1]) * COUNT_SUFFIX[match[2].toLowerCase()] : Number.NaN
  if (!Number.isFinite(value) || !Number.isInteger(value) || value <= 0) {
    throw usageError(
      `--${flag} must be a positive whole number of connections, got "${input}"`,
      `write it as 1000000, 1e6, 1M or 250k`,
    )
  }
  if (value > 1e9) throw usageError(`--${flag} ${input} is more than 1e9 connections, beyond what one host can hold`)
  return value
}

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1024, kb: 1000, kib: 1024,
  m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3,
  t: 1024 ** 4, tb: 1000 ** 4, tib: 1024 ** 4,
}

/**
 * Parse a size in bytes: `24GiB`, `24G` (binary), `512MB` (decimal), `4096`, `1.5GiB`.
 * A bare number or a `B` count is whole bytes: `1.5` is a usage error (1.5 GiB?), never 2 bytes.
 */
export function parseSize(input: string, flag = 'size'): number {
  const text = String(input).trim()
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text)
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined
  if (!match || unit === undefined || Number(match[1]) <= 0) {
    throw usageError(`--${flag} must be a size such as 24GiB, 512MiB or 4096, got "${input}"`)
  }
  if (unit === 1 && !Number.isInteger(Number(match[1]))) {
    throw usageError(`--${flag} ${input} is not a whole number of bytes (${match[1]} GiB?)`, `give a unit: --${flag} ${match[1]}GiB`)
  }
  const bytes = Math.round(Number(match[1]) * unit)
  if (bytes < 1) throw usageError(`--${flag} ${input} is less than one byte`)
  if (!Number.isSafeInteger(bytes)) throw usageError(`--${flag} ${input} is too large`)
  return bytes
}

/**
 * Bytes in binary units, three significant figures: 1.50 KiB, 23.4 GiB. From 1000 to 1023 of a unit
 * (and past 1023 TiB) three figures are not enough, and toPrecision would print 1.01e+3: those are
 * whole numbers with thousands separators, as counts are (1,010 KiB).
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  if (!Number.isFinite(bytes)) return `${bytes} B`
  let value = bytes
  let i = 0
  while (Math.abs(value) >= 1024 && i < units.length - 1) {
    value /= 1024
    i++
  }
  if (i === 0 || Math.abs(value) >= 999.5) return `${formatCount(value)} ${units[i]}`
  return `${value.toPrecision(3)} ${units[i]}`
}

/** A count with thousands separators: 1,000,000. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? 'unlimited' : String(n)
  // A regex, not toLocaleString: ICU number formatting costs milliseconds per call at start-up.
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** An age as people say it: "40 seconds old", "5 minutes old", "3 hours old", "3 days old". */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000))
  const [value, unit] = seconds < 120 ? [seconds, 'second'] : seconds < 7200 ? [Math.floor(seconds / 60), 'minute'] : seconds < 172_800 ? [Math.floor(seconds / 3600), 'hour'] : [Math.floor(seconds / 86_400), 'day']
  return `${value} ${unit}${value === 1 ? '' : 's'} old`
}

/** `--shard I/K`: host I (1-based) of K, K at most 65535. */
export function parseShard(text: string): {index: number; count: number} {
  const match = /^(\d{1,5})\/(\d{1,5})$/.exec(text.trim())
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [0, 0]
  if (!match || count < 1 || count > 65_535 || index < 1 || index > count) {
    throw usageError(`--shard must be I/K with 1 <= I <= K, such as 2/8, got "${text}"`, 'give each client host its own I of the same K')
  }
  return {index, count}
}

/** A fraction 0..1, or a percentage such as 10%. */
export function parseFraction(input: string, flag: string): number {
  const text = input.trim()
  const value = text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text)
  if (text === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw usageError(`--${flag} must be a fraction from 0 to 1 (or a percentage such as 10%), got "${input}"`)
  }
  return value
}

/** `--hosts N`: a whole number of hosts, 1 to 100,000. */
export function parseHosts(input: string): number {
  const value = Number(input)
  if (!Number.isInteger(value) || value < 1 || value > 100_000) throw usageError(`--hosts must be a whole number of hosts from 1, got "${input}"`)
  return value
}

/** `--source-ports LO-HI` within 1-65535. */
export function parsePortRange(text: string): [number, number] {
  const match = /^(\d+)-(\d+)$/.exec(text)
  const range: [number, number] = match ? [Number(match[1]), Number(match[2])] : [0, 0]
  if (!match || range[0] < 1 || range[1] > 65_535 || range[0] > range[1]) {
    throw usageError(`--source-ports must be LO-HI within 1-65535, got "${text}"`)
  }
  return range
}

/** A DNS host name: labels of letters, digits and inner hyphens, at most 253 characters in all. */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i

/** `text` shown in a message: control characters escaped, at most 80 characters. */
function shown(text: string): string {
  const cut = text.length > 80 ? `${text.slice(0, 77)}...` : text
  return JSON.stringify(cut)
}

/**
 * `--target HOST:PORT`: an IPv4 address, an IPv6 address in brackets (`[::1]:9000`) or a host name
 * (resolved later, by the caller). `host` comes back without brackets; `example` is the address the
 * message suggests.
 */
export function parseEndpoint(text: string, example = '127.0.0.1:9000', flag = '--target'): {host: string; port: number} {
  const fail = (what: string, suggestion = `write IPv4:PORT, [IPv6]:PORT or NAME:PORT, such as ${example} or [::1]:9000`): never => {
    throw usageError(`${flag} ${shown(text)}: ${what}`, suggestion)
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(text)) fail('has a control character')
  if (text.length > 300) fail('is longer than any address and port')
  let host: string
  let portText: string
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close < 0) fail('the IPv6 address has no closing "]"')
    host = text.slice(1, close)
    if (!net.isIPv6(host)) fail(`"${host}" in brackets is not an IPv6 address`)
    if (text[close + 1] !== ':') fail('the port is missing after "]"', `write it as [${host}]:9000`)
    portText = text.slice(close + 2)
  } else {
    const colon = text.lastIndexOf(':')
    if (colon < 0) fail('the port is missing')
    host = text.slice(0, colon)
    portText = text.slice(colon + 1)
    if (host.includes(':')) fail('an IPv6 address needs brackets', `write it as [${net.isIPv6(host) ? host : '::1'}]:${portText || 9000}`)
    if (/^[\d.]+$/.test(host) && !net.isIPv4(host)) fail(`"${host}" is not an IPv4 address`)
    if (!net.isIPv4(host) && !HOST_NAME.test(host)) fail(`"${host}" is neither an IP address nor a host name`)
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN
  if (!(port >= 1 && port <= 65_535)) fail(`the port must be 1 to 65535, got "${portText}"`)
  return {host: host.endsWith('.') && !net.isIP(host) ? host.slice(0, -1) : host, port}
}

/** `HOST:PORT` as written on a command line and in reports: an IPv6 address in brackets. */
export function formatEndpoint(host: string, port: number | string): string {
  return `${net.isIPv6(host) ? `[${host}]` : host}:${port}`
}

/** `--family 4|6`: which address of a name to use, and which the bundled probe runs over. */
export function parseFamily(text: string | undefined): 4 | 6 | undefined {
  if (text === undefined) return undefined
  if (text === '4' || text === '6') return Number(text) as 4 | 6
  throw usageError(`--family must be 4 or 6, got ${shown(text)}`)
}
