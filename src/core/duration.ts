import {usageError} from './errors.js'

const DURATION_UNITS: Record<string, number> = {ms: 1, '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}

/**
 * Parse a duration into milliseconds: `250ms`, `30s`, `30` (seconds), `5m`, `1h`, `2d`, or `forever`
 * (Infinity).
 */
export function parseDuration(input: string, flag = 'duration'): number {
  const text = String(input).trim().toLowerCase()
  if (text === 'forever') return Number.POSITIVE_INFINITY
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|)$/.exec(text)
  if (!match) {
    throw usageError(`--${flag} must be a duration such as 30s, 5m, 2h, 1d, 250ms or forever, got "${input}"`)
  }
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]])
}

/** What a duration flag accepts: from minMs to maxMs, and `forever` only when said. */
export interface DurationBounds {
  minMs: number
  maxMs: number
  forever?: boolean
}

/** Longer than this, node's timers fire at once instead of waiting: no single wait may be longer. */
export const MAX_TIMER_MS = 2_147_483_647

function formatMs(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return ms === 0 ? '0' : `${ms}ms`
}

/** parseDuration, then a usage error unless the value is within bounds: checked before anything starts. */
export function parseBoundedDuration(input: string, flag: string, bounds: DurationBounds): number {
  const ms = parseDuration(input, flag)
  if (ms === Number.POSITIVE_INFINITY && bounds.forever) return ms
  if (!(ms >= bounds.minMs && ms <= bounds.maxMs)) {
    throw usageError(`--${flag} must be from ${formatMs(bounds.minMs)} to ${formatMs(bounds.maxMs)}${bounds.forever ? ' or forever' : ''}, got "${input}"`)
  }
  return ms
}

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** The bounds of the duration flags of probe, client and server, in one place. */
export const DURATION_FLAGS = {
  settle: {minMs: 0, maxMs: HOUR},
  'open-timeout': {minMs: 100, maxMs: DAY},
  /** probe --hold: the run ends with a report, so it must end. */
  'probe-hold': {minMs: 0, maxMs: 7 * DAY},
  /** client --hold: may hold until Ctrl-C. */
  'client-hold': {minMs: 0, maxMs: 7 * DAY, forever: true},
  interval: {minMs: 1, maxMs: HOUR},
  duration: {minMs: 1, maxMs: 7 * DAY, forever: true},
  /** server --ping-interval, --ping-timeout, --idle-timeout: the bundled dialects' periods. */
  'app-period': {minMs: 10, maxMs: DAY},
  /** --broadcast-every and --publish-every: one fan-out message this often. */
  'broadcast-every': {minMs: 10, maxMs: DAY},
} satisfies Record<string, DurationBounds>
