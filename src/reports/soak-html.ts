import type {HoldResult} from '../core/probe/run-report.js'
import {perConnAt, type SoakBaseline, type SoakGrowth} from '../core/probe/soak.js'
import {formatBytes} from '../core/units.js'
import {renderPanel} from './chart/panel.js'
import type {Point, Series} from './chart/series.js'

const COLOURS = {server: '#2471a3', kernel: '#c0392b', dropped: '#d35400'}

/** Seconds, minutes or hours for the time axis, by the soak's length. */
function timeUnit(seconds: number): {label: string; size: number} {
  if (seconds >= 5 * 3600) return {label: 'hours into the hold', size: 3600}
  if (seconds >= 300) return {label: 'minutes into the hold', size: 60}
  return {label: 'seconds into the hold', size: 1}
}

/** The fitted line over the window, dashed, named with its slope per hour. */
function fitSeries(name: string, color: string, growth: SoakGrowth, from: number, to: number, size: number): Series[] {
  if (growth.verdict === 'short') return []
  const perHour = `${growth.bytesPerConnPerHour < 0 ? '-' : '+'}${formatBytes(Math.abs(growth.bytesPerConnPerHour))}/conn/h`
  return [{kind: 'line', name: `${name}, fit: ${perHour} (r² ${growth.r2.toFixed(2)}, ${growth.verdict === 'flat' ? 'no growth above noise' : growth.verdict})`, color, dashed: true, points: [[from / size, growth.startBytesPerConn], [to / size, growth.endBytesPerConn]]}]
}

/**
 * A soak's time axis: the server's and the kernel's bytes per connection held against time with
 * their fitted lines, and the connections dropped against time. Empty without a soak.
 */
export function renderSoakCharts(hold: HoldResult, baseline: SoakBaseline, serverName: string): string {
  const soak = hold.soak
  if (!soak || soak.readings.length < 2) return ''
  const {label, size} = timeUnit(soak.readings.at(-1)!.t)
  const x = (t: number) => t / size
  const perConn = soak.readings.map((r) => ({t: r.t, ...perConnAt(r, baseline)}))
  const figure = soak.figure
  const memory: Series[] = [
    {kind: 'line', name: `${serverName} RSS per connection`, color: COLOURS.server, markers: soak.readings.length <= 200, points: perConn.map((p): Point => [x(p.t), p.server])},
    {kind: 'line', name: 'kernel (slab + TCP buffers, whole host) per connection', color: COLOURS.kernel, markers: soak.readings.length <= 200, points: perConn.map((p): Point => [x(p.t), p.kernel])},
    ...(figure ? fitSeries(serverName, COLOURS.server, figure.server, figure.from, figure.to, size) : []),
    ...(figure ? fitSeries('kernel', COLOURS.kernel, figure.kernel, figure.from, figure.to, size) : []),
  ]
  const values = perConn.flatMap((p) => [p.server, p.kernel])
  const maxX = x(soak.readings.at(-1)!.t)
  const dropped: Series[] = [{kind: 'line', name: 'connections dropped since the hold began', color: COLOURS.dropped, points: soak.readings.map((r): Point => [x(r.t), Math.max(0, hold.conns - r.held)])}]
  const most = Math.max(1, ...soak.readings.map((r) => hold.conns - r.held))
  return [
    renderPanel({id: 'soak-memory', title: 'Memory per connection held, against time (the soak)', x: {label, max: maxX}, y: {label: 'bytes per connection', max: Math.max(1, ...values), min: Math.min(0, ...values), unit: 'bytes'}, series: memory}),
    renderPanel({id: 'soak-dropped', title: 'Connections dropped, against time', x: {label, max: maxX}, y: {label: 'connections', max: most, unit: 'count'}, series: dropped, height: 220}),
  ].join('\n')
}
