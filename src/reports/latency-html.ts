import type {LatencyWindow} from '../core/probe/latency-series.js'
import type {TrafficTotals} from '../core/probe/run-report.js'
import {renderPanel} from './chart/panel.js'
import type {Point, Series} from './chart/series.js'

const PERCENTILES: Array<{key: keyof LatencyWindow; name: string; color: string}> = [
  {key: 'p50Ms', name: 'p50', color: '#229954'},
  {key: 'p90Ms', name: 'p90', color: '#2471a3'},
  {key: 'p99Ms', name: 'p99', color: '#d35400'},
  {key: 'p999Ms', name: 'p99.9', color: '#c0392b'},
  {key: 'maxMs', name: 'max', color: '#7f8c8d'},
]

/**
 * Traffic's echo latency against time: each window's percentiles and maximum at the window's end
 * (windows with no echo left out), and, when any message was lost, the losses of each window as
 * bars. Empty without a series of at least one window with an echo.
 */
export function renderLatencyCharts(traffic: TrafficTotals): string {
  const series = traffic.latencySeries ?? []
  const timed = series.filter((w) => w.messages > 0)
  if (timed.length === 0) return ''
  const minutes = series.at(-1)!.atSeconds >= 600
  const x = (seconds: number) => (minutes ? seconds / 60 : seconds)
  const label = minutes ? 'minutes since the traffic started' : 'seconds since the traffic started'
  const maxX = x(series.at(-1)!.atSeconds)
  const lines: Series[] = PERCENTILES.map(({key, name, color}) => ({
    kind: 'line',
    name: `${name} of each window`,
    color,
    markers: timed.length <= 120,
    points: timed.map((w): Point => [x(w.atSeconds), w[key]]),
  }))
  const panels = [
    renderPanel({
      id: 'latency-time',
      title: 'Echo latency against time, from when each message was due (one window every few seconds)',
      x: {label, max: maxX},
      y: {label: 'milliseconds', max: Math.max(...timed.map((w) => w.maxMs)), unit: 'count', suffix: ' ms'},
      series: lines,
    }),
  ]
  if (series.some((w) => w.lost > 0)) {
    const bars = series.map((w, i) => ({x0: i === 0 ? 0 : x(series[i - 1].atSeconds), x1: x(w.atSeconds), y: w.lost, label: `${w.lost} lost by ${w.atSeconds} s`}))
    panels.push(renderPanel({
      id: 'latency-lost',
      title: 'Messages lost, each window',
      x: {label, max: maxX},
      y: {label: 'messages', max: Math.max(...bars.map((b) => b.y)), unit: 'count'},
      series: [{kind: 'bars', name: 'messages lost in the window', color: '#c0392b', bars}],
      height: 220,
    }))
  }
  return panels.join('\n')
}
