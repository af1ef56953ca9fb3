import {usageError} from './errors.js'

const DURATION_UNITS: Record<string, number> = {ms: 1, '': 1000, s: 1000, m: 60_000, h: 3_600_000}

/** Parse a duration into milliseconds: `250ms`, `30s`, `30` (seconds), `5m`, `1h`, or `forever` (Infinity). */
export function parseDuration(input: string, flag = 'duration'): number {
  const text = String(input).trim().toLowerCase()
  if (text === 'forever') return Number.POSITIVE_INFINITY
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|)$/.exec(text)
  if (!match) {
    throw usageError(`--${flag} must be a duration such as 30s, 5m, 250ms or forever, got "${input}"`)
  }
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]])
}
