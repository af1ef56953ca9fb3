import {settingRows} from '../core/estimate-settings.js'
import {refuseBadEstimate} from '../core/guard-estimate.js'
import type {ChartPoint, EstimateResult} from '../core/plan-estimate.js'
import {formatBytes, formatCount} from '../units.js'

function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

/** Stacked areas (base+headroom, kernel, process) against connections, with the RAM as a line. Inline SVG. */
export function renderMemorySvg(points: ChartPoint[], ramBytes: number): string {
  const W = 720
  const H = 360
  const pad = {left: 80, right: 20, top: 20, bottom: 50}
  const maxX = Math.max(...points.map((p) => p.conns), 1)
  const maxY = Math.max(ramBytes, ...points.map((p) => p.total), 1) * 1.05
  const x = (c: number) => pad.left + (c / maxX) * (W - pad.left - pad.right)
  const y = (b: number) => H - pad.bottom - (b / maxY) * (H - pad.top - pad.bottom)
  const area = (lower: (p: ChartPoint) => number, upper: (p: ChartPoint) => number, color: string, name: string) => {
    const top = points.map((p) => `${x(p.conns).toFixed(1)},${y(upper(p)).toFixed(1)}`)
    const bottom = [...points].reverse().map((p) => `${x(p.conns).toFixed(1)},${y(lower(p)).toFixed(1)}`)
    return `<polygon class="area" data-series="${name}" points="${[...top, ...bottom].join(' ')}" fill="${color}"><title>${name}</title></polygon>`
  }
  const parts: string[] = []
  for (let i = 0; i <= 4; i++) {
    const b = (maxY / 4) * i
    parts.push(`<line x1="${pad.left}" x2="${W - pad.right}" y1="${y(b).toFixed(1)}" y2="${y(b).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${pad.left - 6}" y="${(y(b) + 4).toFixed(1)}" text-anchor="end">${esc(formatBytes(b))}</text>`)
  }
  for (const p of points.filter((_, i) => i % 2 === 0)) {
    parts.push(`<text x="${x(p.conns).toFixed(1)}" y="${H - pad.bottom + 18}" text-anchor="middle">${esc(formatCount(p.conns))}</text>`)
  }
  parts.push(
    area(() => 0, (p) => p.fixed, '#c7d2de', 'base and headroom'),
    area((p) => p.fixed, (p) => p.fixed + p.kernel, '#4e79a7', 'kernel'),
    area((p) => p.fixed + p.kernel, (p) => p.total, '#f28e2b', 'process'),
  )
  if (ramBytes > 0) {
    parts.push(`<line class="ram" x1="${pad.left}" x2="${W - pad.right}" y1="${y(ramBytes).toFixed(1)}" y2="${y(ramBytes).toFixed(1)}" stroke="#d62728" stroke-width="2" stroke-dasharray="6 4"/>`,
      `<text x="${W - pad.right}" y="${(y(ramBytes) - 6).toFixed(1)}" text-anchor="end" fill="#d62728">RAM ${esc(formatBytes(ramBytes))}</text>`)
  }
  parts.push(`<text x="${(pad.left + W - pad.right) / 2}" y="${H - 10}" text-anchor="middle">connections</text>`)
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12" role="img" aria-label="memory against connections">${parts.join('')}</svg>`
}

/** The kernel model's parts as a nested list, assumptions named; empty when a probe report calibrated the figure. */
function kernelParts(r: EstimateResult): string {
  const m = r.kernel.model
  if (!m) return ''
  const items = m.parts.map((p) => `<li>${esc(p.name)}: ${esc(formatCount(p.bytes))} B (${esc(formatCount(p.low))} to ${esc(formatCount(p.high))} B)${p.assumed ? `, assumed: ${esc(p.assumed)}` : ''}</li>`)
  return `, range ${esc(formatBytes(m.low))} to ${esc(formatBytes(m.high))}<ul class="kernel-parts">${items.join('')}</ul>`
}

/** A self-contained HTML report of an estimate: no scripts, styles or images from elsewhere. */
export function renderEstimateHtml(result: EstimateResult, sysctl: Record<string, string> = {}): string {
  refuseBadEstimate(result)
  const r = result
  const terms = r.memory.terms
    .map((t) => `<tr><td>${esc(t.name)}</td><td>${t.perConn > 0 || t.total === 0 ? esc(formatBytes(t.perConn)) : '-'}</td><td>${esc(formatBytes(t.total))}</td></tr>`)
    .join('')
  const settings = settingRows(r, sysctl)
    .map((s) => `<tr><td><code>${esc(s.name)}</code></td><td>${esc(s.value)}</td><td>${esc(s.current ?? '')}</td><td>${esc(s.why)}</td></tr>`)
    .join('')
  const verdict = r.fits
    ? `Fits: ${formatBytes(r.memory.total)} of ${formatBytes(r.ram.bytes)}. One host holds at most ${formatCount(r.maxConnsPerHost)} connections.`
    : `Does not fit: ${formatBytes(r.memory.total)} needed, ${formatBytes(r.ram.bytes)} available; ${r.hostsNeeded === null ? 'not even one connection fits' : `${r.hostsNeeded} hosts needed, at most ${formatCount(r.maxConnsPerHost)} each`}.`
  const source = r.runtime.source ? `<br><small>${esc(r.runtime.source.figure)}; ${esc(r.runtime.source.derivation)}</small>` : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>c1m estimate: ${esc(formatCount(r.conns))} connections</title>
<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border-bottom:1px solid #ddd;padding:.3em .8em;text-align:left;vertical-align:top}tr.total td{font-weight:bold}.fit{font-size:1.1em;font-weight:bold}</style>
</head><body>
<h1>Memory for ${esc(formatCount(r.conns))} connections (${esc(r.role)})</h1>
<p class="fit">${esc(verdict)}</p>
<h2>Memory against connections${r.hosts > 1 ? ', per host' : ''}</h2>
${renderMemorySvg(r.chart, r.ram.bytes)}
<h2>Breakdown at ${esc(formatCount(r.connsPerHost))} connections</h2>
<table><tr><th></th><th>per connection</th><th>total</th></tr>${terms}<tr class="total"><td>total</td><td>${esc(formatBytes(r.memory.perConn))}</td><td>${esc(formatBytes(r.memory.total))}</td></tr></table>${r.range ? `<p>Range ${esc(formatBytes(r.range.low))} to ${esc(formatBytes(r.range.high))} with the kernel model's low and high.</p>` : ''}
<h2>Sources</h2>
<ul><li>Kernel per socket: ${esc(formatBytes(r.kernel.bytesPerSocket))} from ${esc(r.kernel.source)} (${esc(r.kernel.detail)})${kernelParts(r)}</li>
<li>Process: ${esc(r.runtime.name)}, ${esc(formatBytes(r.runtime.serverBytesPerConn))} per connection: ${esc(r.runtime.from)}${source}</li>
<li>Conntrack: ${r.conntrack.counted ? 'counted' : 'not counted'} (${esc(r.conntrack.why)})</li></ul>
<h2>Settings</h2>
<table><tr><th>setting</th><th>needed</th><th>now</th><th>why</th></tr>${settings}</table>
<p><small>Generated by c1m estimate.</small></p>
</body></html>
`
}
