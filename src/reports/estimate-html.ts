import type {SettingRow} from '../core/estimate/estimate-settings.js'
import {refuseBadEstimate} from '../core/estimate/guard-estimate.js'
import type {ChartPoint, EstimateResult} from '../core/estimate/plan-estimate.js'
import {formatBytes, formatCount} from '../core/units.js'
import {renderPanel} from './chart/panel.js'
import {describeIpv6Socket, readHostWords} from './estimate-text.js'
import type {Series} from './chart/series.js'
import {escapeXml as esc} from './escape.js'
import {formatDate, renderReportHeader, REPORT_CSS} from './report-header.js'

export interface EstimateHtmlOptions {
  /** The c1m version that made the estimate. */
  version?: string
  /** When, ISO 8601 (default now). */
  generatedAt?: string
}

export const ESTIMATE_COLOURS = {fixed: '#c7d2de', kernel: '#4e79a7', process: '#f28e2b', ram: '#d62728', target: '#222222', max: '#2ca02c'}

/**
 * Stacked areas (base and headroom, kernel, process) against connections on one host, from 0 to
 * a little past the larger of N and the most this host holds; the RAM, N and that maximum marked.
 */
export function renderMemorySvg(result: EstimateResult): string {
  const points: ChartPoint[] = result.hostChart
  const band = (name: string, color: string, lower: (p: ChartPoint) => number, upper: (p: ChartPoint) => number): Series => ({
    kind: 'area', name, color, lower: points.map((p) => [p.conns, lower(p)]), upper: points.map((p) => [p.conns, upper(p)]),
  })
  const series: Series[] = [
    band('base and headroom', ESTIMATE_COLOURS.fixed, () => 0, (p) => p.fixed),
    band('kernel', ESTIMATE_COLOURS.kernel, (p) => p.fixed, (p) => p.fixed + p.kernel),
    band('process', ESTIMATE_COLOURS.process, (p) => p.fixed + p.kernel, (p) => p.total),
  ]
  const ram = result.ram.bytes
  if (ram > 0) series.push({kind: 'hrule', name: `RAM (${formatBytes(ram)})`, color: ESTIMATE_COLOURS.ram, at: ram, label: `RAM ${formatBytes(ram)}`})
  series.push({kind: 'vrule', name: `N = ${formatCount(result.connsPerHost)}`, color: ESTIMATE_COLOURS.target, at: result.connsPerHost, label: `N ${formatCount(result.connsPerHost)}`})
  if (result.maxConnsPerHost > 0) {
    const whose = result.ram.source === 'this host' ? readHostWords(result).its : 'the planned host\'s'
    series.push({kind: 'vrule', name: `${whose} maximum (${formatCount(result.maxConnsPerHost)})`, color: ESTIMATE_COLOURS.max, at: result.maxConnsPerHost, label: `max ${formatCount(result.maxConnsPerHost)}`})
  }
  const last = points.at(-1)!
  return renderPanel({
    id: 'memory',
    title: `Memory against connections${result.hosts > 1 ? ', per host' : ''}`,
    x: {label: 'connections', max: last.conns, nice: false},
    y: {label: 'memory', max: Math.max(ram, last.total), unit: 'bytes'},
    series,
    height: 380,
  })
}

/**
 * The kernel model's parts as a nested list, assumptions named; empty when a probe report
 * calibrated the figure.
 */
function kernelParts(r: EstimateResult): string {
  const m = r.kernel.model
  if (!m) return ''
  const items = m.parts.map((p) => `<li>${esc(p.name)}: ${esc(formatCount(p.bytes))} B (${esc(formatCount(p.low))} to ${esc(formatCount(p.high))} B)${p.assumed ? `, assumed: ${esc(p.assumed)}` : ''}</li>`)
  const v6 = describeIpv6Socket(r)
  if (v6) items.push(`<li>${esc(v6)}</li>`)
  return `, range ${esc(formatBytes(m.low))} to ${esc(formatBytes(m.high))}<ul class="kernel-parts">${items.join('')}</ul>`
}

/** "100,000 connections", or over IPv6 "100,000 IPv6 connections", as the text report's first line says. */
const describeConns = (r: EstimateResult) => `${formatCount(r.conns)} ${r.family === 6 ? 'IPv6 ' : ''}connections`

/**
 * A self-contained HTML report of an estimate: no scripts, styles or images from elsewhere.
 * `settings`: estimate's setting rows (settingRows); `sysctl`: the host's values for the header.
 */
export function renderEstimateHtml(result: EstimateResult, settings: SettingRow[], sysctl: Record<string, string> = {}, options: EstimateHtmlOptions = {}): string {
  refuseBadEstimate(result)
  const r = result
  const terms = r.memory.terms
    .map((t) => `<tr><td>${esc(t.name)}</td><td class="n">${t.perConn > 0 || t.total === 0 ? esc(formatBytes(t.perConn)) : '-'}</td><td class="n">${esc(formatBytes(t.total))}</td></tr>`)
    .join('')
  const settingsRows = settings
    .map((s) => `<tr><td><code>${esc(s.name)}</code></td><td>${esc(s.value)}</td><td>${esc(s.current ?? '')}</td><td>${esc(s.why)}</td></tr>`)
    .join('')
  const verdict = r.fits
    ? `Fits: ${formatBytes(r.memory.total)} of ${formatBytes(r.ram.bytes)}. One host holds at most ${formatCount(r.maxConnsPerHost)} connections.`
    : `Does not fit: ${formatBytes(r.memory.total)} needed, ${formatBytes(r.ram.bytes)} available; ${r.hostsNeeded === null ? 'not even one connection fits' : `${r.hostsNeeded} hosts needed, at most ${formatCount(r.maxConnsPerHost)} each`}.`
  const source = r.runtime.source ? `<br><small>${esc(r.runtime.source.figure)}; ${esc(r.runtime.source.derivation)}</small>` : ''
  const header = renderReportHeader({
    title: `Memory for ${describeConns(r)} (${r.role})`,
    host: sysctl['kernel.hostname'] ?? 'not read',
    kernel: sysctl['kernel.osrelease'] ?? 'not read',
    version: options.version ? `c1m ${options.version}` : 'not recorded',
    date: formatDate(options.generatedAt ?? new Date().toISOString()),
    more: [['planned for', r.ram.source === 'this host' ? `${r.savedTree === undefined ? 'this host' : `the host saved in ${r.savedTree}`}, ${formatBytes(r.ram.bytes)} RAM` : `a host of ${formatBytes(r.ram.bytes)} RAM (--ram)`]],
  })
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>c1m estimate: ${esc(describeConns(r))}</title>
<style>${REPORT_CSS}tr.total td{font-weight:bold}.fit{font-size:1.1em;font-weight:bold}</style>
</head><body>
${header}
<p class="fit">${esc(verdict)}</p>
${renderMemorySvg(r)}
<h2>Breakdown at ${esc(formatCount(r.connsPerHost))} connections</h2>
<table><tr><th></th><th class="n">per connection</th><th class="n">total</th></tr>${terms}<tr class="total"><td>total</td><td class="n">${esc(formatBytes(r.memory.perConn))}</td><td class="n">${esc(formatBytes(r.memory.total))}</td></tr></table>${r.range ? `<p>Range ${esc(formatBytes(r.range.low))} to ${esc(formatBytes(r.range.high))} with the kernel model's low and high.</p>` : ''}
<h2>Sources</h2>
<ul><li>Kernel per socket: ${esc(formatBytes(r.kernel.bytesPerSocket))} from ${esc(r.kernel.source)} (${esc(r.kernel.detail)})${kernelParts(r)}</li>
<li>Process: ${esc(r.runtime.name)}, ${esc(formatBytes(r.runtime.serverBytesPerConn))} per connection: ${esc(r.runtime.from)}${source}</li>
<li>Conntrack: ${r.conntrack.counted ? 'counted' : 'not counted'} (${esc(r.conntrack.why)})</li></ul>
<h2>Settings</h2>
<table><tr><th>setting</th><th>needed</th><th>now</th><th>why</th></tr>${settingsRows}</table>
</body></html>
`
}
