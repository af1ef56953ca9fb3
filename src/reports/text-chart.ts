import type {ChartPoint} from '../core/estimate/plan-estimate.js'
import {formatBytes, formatCount} from '../core/units.js'

/**
 * Memory against connections as plain text rows: one bar per point, base and headroom as `.`,
 * kernel as `#`, process as `=`, scaled to the larger of the last total and the RAM, which is
 * marked with `|` (`!` where a bar goes past it).
 */
export function renderTextChart(points: ChartPoint[], ramBytes: number, width = 48): string[] {
  const top = Math.max(ramBytes, ...points.map((p) => p.total), 1)
  const cols = (bytes: number) => Math.round((bytes / top) * width)
  const ramCol = ramBytes > 0 ? cols(ramBytes) : -1
  const label = Math.max(...points.map((p) => formatCount(p.conns).length))
  const rows = [`${' '.repeat(label)}  . base+headroom  # kernel  = process  | RAM ${formatBytes(ramBytes)}`]
  for (const p of points) {
    const fixed = cols(p.fixed)
    const kernel = cols(p.fixed + p.kernel) - fixed
    const process = cols(p.total) - fixed - kernel
    const bar = ('.'.repeat(fixed) + '#'.repeat(kernel) + '='.repeat(process)).padEnd(width + 1, ' ').split('')
    // The RAM line: `|`, or `!` where the bar crosses it.
    if (ramCol >= 0) bar[ramCol] = ramCol < cols(p.total) ? '!' : '|'
    rows.push(`${formatCount(p.conns).padStart(label)}  ${bar.join('').padEnd(width + 1)}  ${formatBytes(p.total)}`)
  }
  return rows
}
