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

/** Bytes in binary units, three significant figures: 1.50 KiB, 23.4 GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let i = 0
  while (Math.abs(value) >= 1024 && i < units.length - 1) {
    value /= 1024
    i++
  }
  if (i === 0) return `${Math.round(value)} B`
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

/** `--target IPv4:PORT`; `example` is the address the message suggests. */
export function parseEndpoint(text: string, example = '127.0.0.1:9000'): {host: string; port: number} {
  const match = /^(.+):(\d+)$/.exec(text)
  if (!match || !net.isIPv4(match[1]) || Number(match[2]) < 1 || Number(match[2]) > 65_535) {
    throw usageError(`--target must be IPv4:PORT, such as ${example}, got "${text}"`)
  }
  return {host: match[1], port: Number(match[2])}
}
