import {kernelBytes} from '../core/build-probe-report.js'
import type {LinearFit, ProbeSample} from '../core/probe-report.js'
import type {ProbeRunReport} from '../probe/run-probe.js'
import {describeHold, describeIsolation} from './probe-text.js'
import {formatBytes, formatCount} from '../units.js'

const MiB = 1024 ** 2
const WIDTH = 720
const HEIGHT = 360
const PAD = {left: 70, right: 40, top: 20, bottom: 50}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

interface Series {
  name: string
  color: string
  y: (s: ProbeSample) => number
  fit: LinearFit
}

/** Round a value up to 1, 2 or 5 times a power of ten, for axis ends. */
function niceCeil(value: number): number {
  if (value <= 0) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  return [1, 2, 5, 10].map((m) => m * power).find((v) => v >= value)!
}

/** An SVG chart of memory (MiB) against connections: measured points joined, fitted lines dashed. */
export function renderMemoryChart(report: ProbeRunReport): string {
  const base = report.samples[0]
  const series: Series[] = [
    {name: 'kernel (slab + TCP buffers), growth', color: '#c0392b', y: (s) => kernelBytes(s) - kernelBytes(base), fit: {...report.fit.kernel, baseBytes: report.fit.kernel.baseBytes - kernelBytes(base)}},
    {name: 'server processes RSS', color: '#2471a3', y: (s) => s.server.rss, fit: report.fit.server},
    {name: 'client processes RSS', color: '#229954', y: (s) => s.client.rss, fit: report.fit.client},
  ]
  const maxX = niceCeil(Math.max(...report.samples.map((s) => s.conns)))
  const maxY = niceCeil(Math.max(...series.flatMap((line) => report.samples.map((s) => line.y(s)))) / MiB)
  const px = (x: number) => PAD.left + (x / maxX) * (WIDTH - PAD.left - PAD.right)
  const py = (bytes: number) => HEIGHT - PAD.bottom - (Math.max(0, bytes) / MiB / maxY) * (HEIGHT - PAD.top - PAD.bottom)
  const parts: string[] = []
  for (let i = 0; i <= 5; i++) {
    const x = (maxX * i) / 5
    const y = (maxY * i) / 5
    parts.push(
      `<line x1="${px(x)}" y1="${PAD.top}" x2="${px(x)}" y2="${HEIGHT - PAD.bottom}" stroke="#eee"/>`,
      `<text x="${px(x)}" y="${HEIGHT - PAD.bottom + 18}" text-anchor="middle">${formatCount(x)}</text>`,
      `<line x1="${PAD.left}" y1="${py(y * MiB)}" x2="${WIDTH - PAD.right}" y2="${py(y * MiB)}" stroke="#eee"/>`,
      `<text x="${PAD.left - 8}" y="${py(y * MiB) + 4}" text-anchor="end">${formatCount(y)}</text>`,
    )
  }
  for (const line of series) {
    const points = report.samples.map((s) => `${px(s.conns).toFixed(1)},${py(line.y(s)).toFixed(1)}`).join(' ')
    parts.push(
      `<polyline class="measured" fill="none" stroke="${line.color}" stroke-width="2" points="${points}"/>`,
      ...report.samples.map((s) => `<circle cx="${px(s.conns).toFixed(1)}" cy="${py(line.y(s)).toFixed(1)}" r="3" fill="${line.color}"/>`),
      `<line class="fit" x1="${px(0)}" y1="${py(line.fit.baseBytes).toFixed(1)}" x2="${px(maxX)}" y2="${py(line.fit.baseBytes + line.fit.bytesPerConn * maxX).toFixed(1)}" stroke="${line.color}" stroke-dasharray="4 4"/>`,
    )
  }
  const legend = series.map((line, i) => `<text x="${PAD.left + 10}" y="${PAD.top + 14 + i * 16}" fill="${line.color}">${escapeHtml(line.name)}</text>`)
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${WIDTH - PAD.left - PAD.right}" height="${HEIGHT - PAD.top - PAD.bottom}" fill="none" stroke="#999"/>`,
    `<clipPath id="plot"><rect x="${PAD.left}" y="${PAD.top}" width="${WIDTH - PAD.left - PAD.right}" height="${HEIGHT - PAD.top - PAD.bottom}"/></clipPath>`,
    ...parts.map((p) => (p.startsWith('<line class="fit"') ? p.replace('<line', '<line clip-path="url(#plot)"') : p)),
    ...legend,
    `<text x="${(WIDTH + PAD.left) / 2}" y="${HEIGHT - 10}" text-anchor="middle">connections</text>`,
    `<text x="16" y="${HEIGHT / 2}" text-anchor="middle" transform="rotate(-90 16 ${HEIGHT / 2})">MiB</text>`,
    '</svg>',
  ].join('\n')
}

/** A self-contained HTML page: the chart, the fitted lines and the samples. No scripts, no external files. */
export function renderProbeHtml(report: ProbeRunReport): string {
  const fitRow = (name: string, fit: LinearFit) => `<tr><td>${name}</td><td>${escapeHtml(formatBytes(fit.bytesPerConn))}</td><td>${escapeHtml(formatBytes(fit.baseBytes))}</td><td>${fit.r2.toFixed(4)}</td></tr>`
  const sampleRows = report.samples.map((s) => `<tr><td>${formatCount(s.conns)}</td><td>${formatCount(s.established)}</td><td>${(kernelBytes(s) / MiB).toFixed(1)}</td><td>${(s.server.rss / MiB).toFixed(1)}</td><td>${(s.client.rss / MiB).toFixed(1)}</td></tr>`)
  const slab = Object.entries(report.fit.slabPerConn ?? {}).sort((a, b) => b[1] - a[1])
  const title = `c1m probe: ${formatCount(report.samples.at(-1)!.conns)} connections, ${report.engine} engine`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p>Kernel ${escapeHtml(report.host.kernel)}, ${report.host.cpus} CPUs, ${escapeHtml(formatBytes(report.host.memTotalBytes))} RAM; ${report.plan.processesPerSide} server and ${report.plan.processesPerSide} client processes; ${report.socketsPerConn} sockets per connection. Ran in the ${escapeHtml(describeIsolation(report.isolation))}. Generated ${escapeHtml(report.generatedAt)}.${report.stopped ? ` <strong>Stopped early: ${escapeHtml(report.stopped)}.</strong>` : ''}</p>
${renderMemoryChart(report)}
<h2>Per connection</h2>
<table><tr><th></th><th>per connection</th><th>base</th><th>r²</th></tr>
${fitRow('kernel', report.fit.kernel)}
${fitRow('servers', report.fit.server)}
${fitRow('clients', report.fit.client)}
</table>
<p>Kernel per socket: ${escapeHtml(formatBytes(report.fit.kernel.bytesPerSocket))}.${report.echo ? ` Echo check: ${formatCount(report.echo.echoed)} of ${formatCount(report.echo.sent)} connections answered.` : ''}</p>
${report.hold ? `<h2>Hold</h2>\n${describeHold(report).map((line) => `<p>${escapeHtml(line)}</p>`).join('\n')}` : ''}
${slab.length ? `<p>Slab per connection: ${escapeHtml(slab.map(([name, bytes]) => `${name} ${formatBytes(bytes)}`).join(', '))}</p>` : ''}
<h2>Samples</h2>
<table><tr><th>connections</th><th>established</th><th>kernel MiB</th><th>servers MiB</th><th>clients MiB</th></tr>
${sampleRows.join('\n')}
</table>
</body></html>
`
}
