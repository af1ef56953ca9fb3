import type {Series} from './series.js'
import {escapeXml} from '../escape.js'
import {px} from './svg.js'

const ROW = 18
const SWATCH = 26
/** A rough width of 12px sans-serif text, to lay the legend out in rows without a browser. */
const CHAR = 6.6

function swatch(series: Series, x: number, y: number): string {
  const mid = y - 4
  if (series.kind === 'area' || series.kind === 'bars') {
    return `<rect x="${px(x)}" y="${px(y - 10)}" width="${SWATCH - 6}" height="10" fill="${series.color}"/>`
  }
  const dash = series.kind === 'line' && !series.dashed ? '' : ' stroke-dasharray="5 3"'
  const dot = series.kind === 'line' && series.markers ? `<circle cx="${px(x + (SWATCH - 6) / 2)}" cy="${px(mid)}" r="3" fill="${series.color}"/>` : ''
  return `<line x1="${px(x)}" y1="${px(mid)}" x2="${px(x + SWATCH - 6)}" y2="${px(mid)}" stroke="${series.color}" stroke-width="2"${dash}/>${dot}`
}

/** The legend of every series, in rows from (left, top); returns the SVG and the height used. */
export function renderLegend(series: Series[], left: number, top: number, width: number): {svg: string; height: number} {
  const parts: string[] = []
  let x = left
  let y = top + 12
  for (const s of series) {
    const need = SWATCH + s.name.length * CHAR + 18
    if (x > left && x + need > left + width) {
      x = left
      y += ROW
    }
    const style = s.kind === 'line' ? (s.dashed ? 'dashed' : 'solid') : s.kind
    parts.push(`<g class="legend-item" data-series="${escapeXml(s.name)}" data-style="${style}">${swatch(s, x, y)}<text x="${px(x + SWATCH)}" y="${px(y)}">${escapeXml(s.name)}</text></g>`)
    x += need
  }
  return {svg: parts.join(''), height: series.length === 0 ? 0 : y - top + 8}
}
