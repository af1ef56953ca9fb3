import {type Axis, makeByteAxis, makeCountAxis} from './axis.js'
import {renderLegend} from './legend.js'
import type {Point, Series} from './series.js'
import {escapeXml} from '../escape.js'
import {px} from './svg.js'

export interface PanelSpec {
  /** A short ID for tests and links: data-panel="kernel". */
  id: string
  title: string
  x: {label: string; max: number; nice?: boolean}
  /** min below 0 for a quantity that can fall (kernel growth on a busy host); default 0. */
  y: {label: string; max: number; min?: number; unit: 'bytes' | 'count'; suffix?: string}
  series: Series[]
  width?: number
  height?: number
}

const PAD = {left: 78, right: 48, bottom: 46}

function drawSeries(s: Series, x: Axis, y: Axis, plot: {left: number; right: number; top: number; bottom: number}): string {
  const at = ([cx, cy]: Point) => `${px(x.at(cx))},${px(y.at(cy))}`
  const name = escapeXml(s.name)
  switch (s.kind) {
    case 'area': {
      const outline = [...s.upper.map(at), ...[...s.lower].reverse().map(at)].join(' ')
      return `<polygon class="area" data-series="${name}" points="${outline}" fill="${s.color}"><title>${name}</title></polygon>`
    }
    case 'line': {
      const dash = s.dashed ? ' stroke-dasharray="6 4"' : ''
      const kind = s.dashed ? 'fit' : 'measured'
      const dots = s.markers ? s.points.map((p) => `<circle class="point" cx="${px(x.at(p[0]))}" cy="${px(y.at(p[1]))}" r="3" fill="${s.color}"/>`).join('') : ''
      return `<polyline class="${kind}" data-series="${name}" fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${s.points.map(at).join(' ')}"><title>${name}</title></polyline>${dots}`
    }
    case 'hrule': {
      const at = px(y.at(s.at))
      return `<g class="rule" data-series="${name}"><line x1="${plot.left}" x2="${plot.right}" y1="${at}" y2="${at}" stroke="${s.color}" stroke-width="2" stroke-dasharray="6 4"/><text x="${plot.left + 6}" y="${px(y.at(s.at) - 6)}" fill="${s.color}" font-weight="bold">${escapeXml(s.label)}</text></g>`
    }
    case 'vrule': {
      const at = x.at(s.at)
      const anchor = at > (plot.left + plot.right) / 2 ? 'end' : 'start'
      return `<g class="rule" data-series="${name}"><line x1="${px(at)}" x2="${px(at)}" y1="${plot.top}" y2="${plot.bottom}" stroke="${s.color}" stroke-width="2" stroke-dasharray="4 3"/><text x="${px(at + (anchor === 'end' ? -4 : 4))}" y="${plot.bottom - 6}" text-anchor="${anchor}" fill="${s.color}" font-weight="bold">${escapeXml(s.label)}</text></g>`
    }
    case 'bars':
      return s.bars.map((b) => {
        const left = x.at(b.x0) + 1
        const width = Math.max(1, x.at(b.x1) - x.at(b.x0) - 2)
        return `<rect class="bar" data-series="${name}" x="${px(left)}" y="${px(y.at(b.y))}" width="${px(width)}" height="${px(plot.bottom - y.at(b.y))}" fill="${s.color}"><title>${escapeXml(b.label ?? name)}</title></rect>`
      }).join('')
  }
}

/**
 * One chart as inline SVG: a title, a legend of every series (fits dashed, as drawn), axes from
 * 0 with nice ticks (bytes in one binary unit), and the series clipped to the plot.
 */
export function renderPanel(spec: PanelSpec): string {
  const width = spec.width ?? 720
  const height = spec.height ?? 300
  const legend = renderLegend(spec.series, PAD.left, 26, width - PAD.left - PAD.right)
  const plot = {left: PAD.left, right: width - PAD.right, top: 30 + legend.height + 8, bottom: height - PAD.bottom}
  const x = makeCountAxis(spec.x.max, [plot.left, plot.right], {nice: spec.x.nice})
  const y = spec.y.unit === 'bytes' ? makeByteAxis(spec.y.max, [plot.bottom, plot.top], 5, spec.y.min ?? 0) : makeCountAxis(spec.y.max, [plot.bottom, plot.top], {suffix: spec.y.suffix})
  const grid = [
    ...x.ticks.map((t) => `<line x1="${px(x.at(t.value))}" x2="${px(x.at(t.value))}" y1="${plot.top}" y2="${plot.bottom}" stroke="#e6e6e6"/><text class="x-tick" x="${px(x.at(t.value))}" y="${plot.bottom + 16}" text-anchor="middle">${escapeXml(t.label)}</text>`),
    ...y.ticks.map((t) => `<line x1="${plot.left}" x2="${plot.right}" y1="${px(y.at(t.value))}" y2="${px(y.at(t.value))}" stroke="#e6e6e6"/><text class="y-tick" x="${plot.left - 6}" y="${px(y.at(t.value) + 4)}" text-anchor="end">${escapeXml(t.label)}</text>`),
  ]
  const clip = `clip-${spec.id}`
  return [
    `<svg class="panel" data-panel="${escapeXml(spec.id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="sans-serif" font-size="12" role="img" aria-label="${escapeXml(spec.title)}">`,
    `<text x="${plot.left}" y="16" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`,
    legend.svg,
    `<clipPath id="${clip}"><rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}"/></clipPath>`,
    ...grid,
    `<g clip-path="url(#${clip})">${spec.series.filter((s) => s.kind !== 'hrule' && s.kind !== 'vrule').map((s) => drawSeries(s, x, y, plot)).join('')}</g>`,
    ...spec.series.filter((s) => s.kind === 'hrule' || s.kind === 'vrule').map((s) => drawSeries(s, x, y, plot)),
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#999"/>`,
    `<text x="${px((plot.left + plot.right) / 2)}" y="${height - 8}" text-anchor="middle">${escapeXml(spec.x.label)}</text>`,
    `<text x="14" y="${px((plot.top + plot.bottom) / 2)}" text-anchor="middle" transform="rotate(-90 14 ${px((plot.top + plot.bottom) / 2)})">${escapeXml(spec.y.label)}</text>`,
    '</svg>',
  ].join('\n')
}
