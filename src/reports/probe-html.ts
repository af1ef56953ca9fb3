import {kernelBytes} from '../core/probe/build-fit-report.js'
import type {LinearFit} from '../core/probe/fit-report.js'
import {quoteBytes} from '../core/probe/refusal.js'
import {formatBytes, formatCount} from '../core/units.js'
import {renderPanel} from './chart/panel.js'
import {renderFanoutChart} from './fanout-html.js'
import {renderLatencyCharts} from './latency-html.js'
import {renderSoakCharts} from './soak-html.js'
import type {Point, Series} from './chart/series.js'
import {escapeXml} from './escape.js'
import {describeHold, describeIsolation} from './probe-text.js'
import {describeHeld, describeServers} from './probe-servers-text.js'
import {formatDate, renderReportHeader, REPORT_CSS} from './report-header.js'
import type {ProbeRunReport} from '../core/probe/run-report.js'

export const PROBE_COLOURS = {kernel: '#c0392b', server: '#2471a3', client: '#229954', rate: '#8e44ad'}

export interface ProbeHtmlOptions {
  /** The c1m rendering the page; shown beside the report's own version when they differ. */
  version?: string
}

type Stamped = ProbeRunReport & {version?: string; host: ProbeRunReport['host'] & {hostname?: string}}

function fitPoints(fit: LinearFit, maxX: number, shift = 0): Point[] {
  return [[0, fit.baseBytes - shift], [maxX, fit.baseBytes - shift + fit.bytesPerConn * maxX]]
}

function measuredAndFit(report: ProbeRunReport, name: string, color: string, y: (i: number) => number, fit: LinearFit, shift = 0): Series[] {
  const maxX = report.samples.at(-1)!.conns
  return [
    {kind: 'line', name: `${name}, measured`, color, markers: true, points: report.samples.map((s, i) => [s.conns, y(i)])},
    {kind: 'line', name: `${name}, fit: ${formatBytes(fit.bytesPerConn)}/conn (r² ${fit.r2.toFixed(3)})`, color, dashed: true, points: fitPoints(fit, maxX, shift)},
  ]
}

/** Three panels, one quantity each: kernel growth, process RSS per side, connect rate per step. */
export function renderProbeCharts(report: ProbeRunReport): string {
  const base = kernelBytes(report.samples[0])
  const maxX = report.samples.at(-1)!.conns
  const growth = (i: number) => kernelBytes(report.samples[i]) - base
  const kernel = measuredAndFit(report, 'kernel growth', PROBE_COLOURS.kernel, growth, report.fit.kernel, base)
  const serverName = report.target ? `server ${report.target.endpoint}` : 'servers'
  const processes = [
    ...measuredAndFit(report, `${serverName} RSS`, PROBE_COLOURS.server, (i) => report.samples[i].server.rss, report.fit.server),
    ...measuredAndFit(report, 'clients RSS', PROBE_COLOURS.client, (i) => report.samples[i].client.rss, report.fit.client),
  ]
  const values = (series: Series[]) => series.flatMap((s) => (s.kind === 'line' ? s.points.map((p) => p[1]) : []))
  const peak = (series: Series[]) => Math.max(1, ...values(series))
  const panels = [
    renderPanel({id: 'kernel', title: 'Kernel memory growth since the start (slab + TCP buffers)', x: {label: 'connections', max: maxX}, y: {label: 'growth', max: peak(kernel), min: Math.min(0, ...values(kernel.slice(0, 1))), unit: 'bytes'}, series: kernel}),
    renderPanel({id: 'process', title: `Process RSS of each side, all its processes (${report.plan.processesPerSide} a side)`, x: {label: 'connections', max: maxX}, y: {label: 'resident memory', max: peak(processes), unit: 'bytes'}, series: processes}),
  ]
  if (report.steps.length > 0) {
    const bars = report.steps.map((step, i) => ({x0: i === 0 ? 0 : report.steps[i - 1].conns, x1: step.conns, y: step.connectsPerSecond, label: `step ${step.step}: ${formatCount(step.connectsPerSecond)} connections/s`}))
    const rate: Series[] = [{kind: 'bars', name: 'connections opened per second, each step', color: PROBE_COLOURS.rate, bars}]
    panels.push(renderPanel({id: 'rate', title: 'Connect rate per step of the ramp', x: {label: 'connections', max: maxX}, y: {label: 'connections/s', max: Math.max(...bars.map((b) => b.y)), unit: 'count', suffix: '/s'}, series: rate, height: 240}))
  }
  return panels.join('\n')
}

function sampleRows(report: ProbeRunReport): string[] {
  const base = kernelBytes(report.samples[0])
  return report.samples.map((s, i) => {
    const step = i > 0 ? report.steps.find((t) => t.conns === s.conns) ?? report.steps[i - 1] : undefined
    const cells = [formatCount(s.conns), formatCount(s.established), `+${formatBytes(kernelBytes(s) - base)}`, formatBytes(s.server.rss), formatBytes(s.client.rss), step ? `${formatCount(step.connectsPerSecond)}/s` : '-']
    return `<tr>${cells.map((c) => `<td class="n">${escapeXml(c)}</td>`).join('')}</tr>`
  })
}

/**
 * A self-contained HTML page: the charts, the fitted lines and the samples. No scripts, no external
 * files.
 */
export function renderProbeHtml(report: ProbeRunReport, options: ProbeHtmlOptions = {}): string {
  const r = report as Stamped
  const fitRow = (name: string, fit: LinearFit) => `<tr><td>${name}</td><td class="n">${escapeXml(formatBytes(fit.bytesPerConn))}</td><td class="n">${escapeXml(formatBytes(fit.baseBytes))}</td><td class="n">${fit.r2.toFixed(4)}</td></tr>`
  const slab = Object.entries(report.fit.slabPerConn ?? {}).sort((a, b) => b[1] - a[1])
  const title = `c1m probe: ${formatCount(report.samples.at(-1)!.conns)} connections, ${report.engine} engine`
  const made = r.version ? `c1m ${r.version}` : 'not recorded (an earlier c1m)'
  const header = renderReportHeader({
    title,
    host: r.host.hostname ?? 'not recorded (an earlier c1m)',
    kernel: `${report.host.kernel}; ${report.host.cpus} CPUs, ${formatBytes(report.host.memTotalBytes)} RAM`,
    version: options.version && options.version !== r.version ? `${made}; page rendered by c1m ${options.version}` : made,
    date: formatDate(report.generatedAt),
    more: [
      ['processes', `${report.plan.processesPerSide} server and ${report.plan.processesPerSide} client, ${report.socketsPerConn} sockets per connection`],
      ['isolation', describeIsolation(report.isolation)],
    ],
  })
  const fastest = report.steps.length > 0 ? Math.max(...report.steps.map((s) => s.connectsPerSecond)) : 0
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>${REPORT_CSS}</style>
</head><body>
${header}
${report.stopped ? `<p><strong>Stopped early: ${escapeXml(report.stopped)}.</strong></p>` : ''}
${(report.fit.problems ?? []).map((problem) => `<p class="problem"><strong>Not a measurement:</strong> ${escapeXml(problem)}</p>`).join('\n')}
${renderProbeCharts(report)}
<h2>Per connection</h2>
<table><tr><th></th><th class="n">per connection</th><th class="n">base</th><th class="n">r²</th></tr>
${fitRow('kernel', report.fit.kernel)}
${fitRow('servers', report.fit.server)}
${fitRow('clients', report.fit.client)}
</table>
<p>Kernel per socket: ${escapeXml(formatBytes(report.fit.kernel.bytesPerSocket))}.${report.echo ? ` Echo check: ${formatCount(report.echo.echoed)} of ${formatCount(report.echo.sent)} connections echoed byte for byte${report.echo.mismatched ? `; ${formatCount(report.echo.mismatched)} answered with other bytes, first ${escapeXml(quoteBytes(report.echo.firstBytes ?? ''))}` : ''}.` : ''}${fastest ? ` Connect rate: up to ${formatCount(fastest)} connections/s.` : ''}</p>${describeServers(report).map((line) => `\n<p>${escapeXml(line.trim())}</p>`).join('')}
${report.hold ? `<h2>Hold</h2>\n${[...describeHold(report), ...describeHeld(report)].map((line) => `<p>${escapeXml(line)}</p>`).join('\n')}` : ''}
${report.hold?.traffic ? renderLatencyCharts(report.hold.traffic) : ''}
${report.hold?.fanout ? renderFanoutChart(report.hold.fanout) : ''}
${report.hold?.soak ? renderSoakCharts(report.hold, {serverRss: report.samples[0].server.rss, kernelBytes: kernelBytes(report.samples[0])}, report.target ? `server ${report.target.endpoint}` : 'servers') : ''}
${slab.length ? `<p>Slab per connection: ${escapeXml(slab.map(([name, bytes]) => `${name} ${formatBytes(bytes)}`).join(', '))}</p>` : ''}
<h2>Samples</h2>
<table><tr><th class="n">connections</th><th class="n">established</th><th class="n">kernel growth</th><th class="n">servers RSS</th><th class="n">clients RSS</th><th class="n">connect rate</th></tr>
${sampleRows(report).join('\n')}
</table>
</body></html>
`
}
