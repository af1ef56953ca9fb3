// Axis scales come from d3-scale (with d3-array underneath): .nice() rounds a domain out to
// round numbers and .ticks() picks 1-2-5 steps inside it, the rules Wilkinson and Heckbert
// worked out. Written by hand they gave ticks at 6.18, 12.4, 18.5 GiB. d3-scale is small,
// ESM, pure (no DOM) and runs at render time only, so the HTML stays free of scripts. It does
// not know binary units, so the byte axis picks KiB/MiB/GiB first and scales in that unit.
import {scaleLinear} from 'd3-scale'

export interface Tick {
  value: number
  label: string
}

export interface Axis {
  /** Pixel position of a value. */
  at: (value: number) => number
  ticks: Tick[]
  /** The end of the domain, after rounding out to a nice value. */
  max: number
}

const UNITS: Array<[string, number]> = [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024], ['B', 1]]

/** The largest binary unit the value reaches at least once (B below 1 KiB). */
export function chooseByteUnit(maxBytes: number): [string, number] {
  return UNITS.find(([, size]) => maxBytes >= size) ?? ['B', 1]
}

function trimNumber(value: number): string {
  return Number(value.toPrecision(6)).toLocaleString('en-US', {maximumFractionDigits: 3})
}

/** A byte axis from 0 (or below, for a fall) with nice ticks in one binary unit: 0, 2 GiB, 4 GiB, ... */
export function makeByteAxis(maxBytes: number, range: [number, number], count = 5, minBytes = 0): Axis {
  const [unit, size] = chooseByteUnit(Math.max(maxBytes, -minBytes, 1))
  const scale = scaleLinear().domain([Math.min(0, minBytes) / size, Math.max(maxBytes, 1) / size]).range(range).nice(count)
  return {
    at: (bytes) => scale(bytes / size),
    ticks: scale.ticks(count).map((t) => ({value: t * size, label: `${trimNumber(t)} ${unit}`})),
    max: scale.domain()[1] * size,
  }
}

/** Counts as people write them on an axis: 0, 250k, 1.5M. */
export function formatShortCount(value: number): string {
  const abs = Math.abs(value)
  if (abs >= 1e6) return `${trimNumber(value / 1e6)}M`
  if (abs >= 1e3) return `${trimNumber(value / 1e3)}k`
  return trimNumber(value)
}

/**
 * A count axis from 0. With nice, the end rounds out to a tick (1M for 960k); without it the
 * domain ends at `max` exactly and the ticks stay inside, which keeps a marked point (the host's
 * maximum) at the edge of the data.
 */
export function makeCountAxis(max: number, range: [number, number], options: {nice?: boolean; count?: number; suffix?: string} = {}): Axis {
  const count = options.count ?? 5
  let scale = scaleLinear().domain([0, Math.max(max, 1)]).range(range)
  if (options.nice !== false) scale = scale.nice(count)
  return {
    at: (value) => scale(value),
    ticks: scale.ticks(count).map((t) => ({value: t, label: `${formatShortCount(t)}${options.suffix ?? ''}`})),
    max: scale.domain()[1],
  }
}
