import {DURATION_FLAGS, parseBoundedDuration, parseDuration} from '../duration.js'
import {usageError} from '../errors.js'
import {parseSize} from '../units.js'
import type {FlagRule} from './flag-rules.js'
import type {TrafficShape} from './run-report.js'

// The shape of --message-size traffic, for probe and client alike: rounds (--interval, every
// connection sends at once each interval) or a rate (--rate R/s, R messages a second in all, each
// connection in its turn). Pure.

/** The traffic flags of probe and client, as oclif parses them. */
export interface TrafficFlags {
  'message-size'?: string
  /** Unset means 1s (no oclif default: a default could not be told from --interval given with --rate). */
  interval?: string
  rate?: string
}

/** --rate's bounds, in messages a second in all: one a day up to ten million. */
export const RATE_BOUNDS = {min: 1 / 86_400, max: 10_000_000}

/** Rules between the traffic flags, checked before the rest. */
export const TRAFFIC_RULES: FlagRule<TrafficFlags & {messageSize?: number}>[] = [
  {
    breaks: (f) => f.rate !== undefined && f.interval !== undefined,
    error: () => usageError('--rate spreads messages over the connections and --interval sends on all of them at once: give one of them', 'drop --interval, or drop --rate'),
  },
  {
    breaks: (f) => (f.rate !== undefined || f.interval !== undefined) && f.messageSize === undefined,
    error: (f) => usageError(`--${f.rate === undefined ? 'interval' : 'rate'} paces --message-size traffic: give --message-size too`, 'add --message-size 512'),
  },
]

/**
 * --rate: messages a second in all: `200` or `200/s`, or a count per duration, `1000000/60`
 * (seconds) or `1000000/1m` (MigratoryData's one message per user per minute, for a million users).
 */
export function parseRate(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(\S+))?\s*$/.exec(text)
  const bad = () => usageError(`--rate must be messages a second such as 200/s, or a count per duration such as 10000/60 or 10000/1m, got "${text}"`)
  if (!match) throw bad()
  const per = match[2] === undefined || match[2] === 's' ? 1000 : safeDuration(match[2])
  if (per === undefined || !(per > 0) || !Number.isFinite(per)) throw bad()
  const rate = (Number(match[1]) * 1000) / per
  if (!(rate >= RATE_BOUNDS.min && rate <= RATE_BOUNDS.max)) {
    throw usageError(`--rate must be from one message a day to ${RATE_BOUNDS.max.toLocaleString('en-US')} a second in all, got "${text}"`)
  }
  return rate
}

function safeDuration(text: string): number | undefined {
  try {
    return parseDuration(text, 'rate')
  } catch {
    return undefined
  }
}

/** The traffic asked for: rounds every --interval (1s unless given), or --rate spread. */
export function trafficShape(messageSize: number, interval: string | undefined, rate: string | undefined): TrafficShape {
  if (rate !== undefined) return {messageSize, intervalMs: 0, rate: Number(parseRate(rate).toPrecision(12))}
  return {messageSize, intervalMs: parseBoundedDuration(interval ?? '1s', 'interval', DURATION_FLAGS.interval)}
}

/** --message-size: 1 byte to 64KiB, whole bytes. */
export function parseMessageSize(text: string): number {
  const size = parseSize(text, 'message-size')
  if (!Number.isInteger(size) || size < 1 || size > 65_536) throw usageError(`--message-size must be 1 byte to 64KiB, got "${text}"`)
  return size
}
