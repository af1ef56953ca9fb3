import type {FanoutReport} from '../core/probe/fanout.js'
import {renderPanel} from './chart/panel.js'
import type {Point, Series} from './chart/series.js'

const COLOURS = ['#2471a3', '#7d3c98', '#c0392b']

/**
 * Fan-out's delivery curve: the share of the connections that had a broadcast against the
 * milliseconds since it was sent, for the first, the median and the worst broadcast (a step at
 * each histogram bucket, about 9% coarse in time). Empty without curves.
 */
export function renderFanoutChart(fanout: FanoutReport): string {
  const curves = (fanout.curves ?? []).filter((c) => c.points.length > 0)
  if (curves.length === 0) return ''
  const series: Series[] = curves.map((curve, i) => {
    const b = fanout.broadcasts.find((one) => one.seq === curve.seq)
    const points: Point[] = [[0, 0], ...curve.points.map((p): Point => [p.ms, p.share * 100])]
    return {kind: 'line', name: `broadcast ${curve.seq} (${curve.which})${b ? `: last after ${b.lastMs} ms` : ''}`, color: COLOURS[i % COLOURS.length], markers: curve.points.length <= 60, points}
  })
  const maxMs = Math.max(...curves.flatMap((c) => c.points.map((p) => p.ms)))
  const maxShare = Math.max(100, ...curves.flatMap((c) => c.points.map((p) => p.share * 100)))
  return renderPanel({
    id: 'fanout-delivery',
    title: 'Fan-out: share of the connections that had the message, against time since it was sent',
    x: {label: 'milliseconds since the send', max: maxMs},
    y: {label: 'connections that had it', max: maxShare, unit: 'count', suffix: '%'},
    series,
  })
}
