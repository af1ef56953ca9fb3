import type {SettingRow} from '../core/estimate/estimate-settings.js'
import {refuseBadEstimate} from '../core/estimate/guard-estimate.js'
import type {EstimateResult} from '../core/estimate/plan-estimate.js'
import {formatBytes, formatCount} from '../core/units.js'
import {renderTextChart} from './text-chart.js'

function columns(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd())
}

/** The kernel model's parts, one line each, under the kernel line: what each counts and what is assumed. */
export function kernelModelLines(r: EstimateResult): string[] {
  const m = r.kernel.model
  if (!m) return []
  const rows = m.parts.map((p) => {
    const caches = Object.entries(p.caches).map(([k, v]) => `${k} ${v}${m.defaulted.includes(k) ? ' (6.18 default)' : ''}`).join(' + ')
    const range = p.low === p.high ? '' : ` (${formatCount(p.low)} to ${formatCount(p.high)} B)`
    return [p.name, `${formatCount(p.bytes)} B`, `${caches}${range}${p.assumed ? `; assumed: ${p.assumed}` : ''}`]
  })
  const lines = columns(rows).map((l) => `                       ${l}`)
  lines.push(`                       slab packing slack, included above: ${formatCount(m.slackBytes)} B (slab bytes / objects per slab, less the object size)`)
  const v6 = describeIpv6Socket(r)
  if (v6) lines.push(`                       ${v6}`)
  return lines
}

/** Over IPv6 (--family 6): its socket object against IPv4's, in one line; undefined over IPv4. */
export function describeIpv6Socket(r: EstimateResult): string | undefined {
  const v4 = r.kernel.ipv4
  if (!v4) return undefined
  const more = r.kernel.bytesPerSocket - v4.bytesPerSocket
  return `IPv6: a TCPv6 object is ${formatCount(v4.objsize.TCPv6)} B, TCP's ${formatCount(v4.objsize.TCP)} B; an IPv4 socket models at ${formatCount(v4.bytesPerSocket)} B here, ${more === 0 ? 'the same: both pack the same count into a slab' : `${formatCount(more)} B less`}`
}

/**
 * Which host the figures read are of: this host, or the one saved in the --root tree. `the` is the
 * host named ("this host", "the saved host"), `its` the same possessive.
 */
export function readHostWords(r: EstimateResult): {the: string; its: string} {
  return r.savedTree === undefined ? {the: 'this host', its: "this host's"} : {the: 'the saved host', its: "the saved host's"}
}

/** The human output of `c1m estimate`: breakdown, sources, fit, settings and a chart. */
export function renderEstimateText(result: EstimateResult, settings: SettingRow[]): string {
  refuseBadEstimate(result)
  const r = result
  const out: string[] = []
  const read = readHostWords(r)
  const host = r.savedTree === undefined ? 'this host' : `the host saved in ${r.savedTree}`
  const where = r.ram.source === 'this host' ? `${host} (${formatBytes(r.ram.bytes)} RAM)` : `a host of ${formatBytes(r.ram.bytes)} RAM`
  const spread = r.hosts > 1 ? ` over ${r.hosts} hosts (${formatCount(r.connsPerHost)} each)` : ''
  out.push(`${formatCount(r.conns)} ${r.family === 6 ? 'IPv6 ' : ''}connections, role ${r.role}${spread}, on ${where}`, '')

  const rows = [['', 'per connection', `total at ${formatCount(r.connsPerHost)}`]]
  for (const t of r.memory.terms) rows.push([t.name, t.perConn > 0 || t.total === 0 ? formatBytes(t.perConn) : '-', formatBytes(t.total)])
  rows.push(['total', formatBytes(r.memory.perConn), formatBytes(r.memory.total)])
  const table = columns(rows)
  out.push(...table.slice(0, -1), '-'.repeat(Math.max(...table.map((l) => l.length))), table.at(-1)!)
  if (r.range) out.push(`range              ${formatBytes(r.range.low)} to ${formatBytes(r.range.high)} with the kernel model's low and high`)
  out.push('')

  out.push('Where the figures come from')
  if (r.kernel.model) {
    out.push(`  kernel per socket  ${formatBytes(r.kernel.bytesPerSocket)} (range ${formatBytes(r.kernel.model.low)} to ${formatBytes(r.kernel.model.high)}), modelled from ${r.kernel.source === 'slabinfo' ? `${read.its} slabinfo` : 'Linux 6.18 defaults'} and kernel version:`)
    out.push(...kernelModelLines(r))
  } else {
    out.push(`  kernel per socket  ${formatBytes(r.kernel.bytesPerSocket)} from ${r.kernel.source}: ${r.kernel.detail}`)
  }
  out.push(`  process            ${r.runtime.name}, ${formatBytes(r.runtime.serverBytesPerConn)} per connection${r.role === 'loopback' ? ` (client side ${formatBytes(r.runtime.clientBytesPerConn)})` : ''}: ${r.runtime.from}`)
  if (r.runtime.source) out.push(`                     ${r.runtime.source.figure}; ${r.runtime.source.derivation}`)
  const measured = r.conntrack.measuredEntryBytes ? ` (entry ${r.conntrack.measuredEntryBytes} B, measured by the probe report)` : ''
  out.push(`  conntrack          ${r.conntrack.counted ? 'counted' : 'not counted'}: ${r.conntrack.why}${measured}`)
  const b = r.buffers
  if (b.bytesPerConn > 0) {
    const at = (v: number | null) => (v === null ? 'not read' : formatCount(v))
    out.push(`  socket buffers     ${formatBytes(b.bytesPerConn)} per connection: ${Math.round(b.active * 100)}% active with ${formatCount(b.messageSize)}-byte messages, charged in whole pages`)
    out.push(`                     ${read.its} tcp_mem reaches pressure at ${at(b.pressureAt)} and max at ${at(b.maxAt)} connections`)
  } else {
    out.push('  socket buffers     none: idle connections hold no buffer pages (see --message-size, --active)')
  }
  const minFree = r.ram.source === 'this host' ? `${read.its} vm.min_free_kbytes` : "the vm.min_free_kbytes the kernel picks for that RAM"
  out.push(`  headroom           ${minFree} plus 10% of RAM`)
  out.push(`  base               memory in use on ${read.the} ${r.savedTree === undefined ? 'now' : 'when it was saved'} (MemTotal - MemAvailable)${r.ram.source === '--ram' ? ', taken as the base of the planned host too' : ''}`, '')

  if (r.fits) {
    out.push(`Fits: ${formatBytes(r.memory.total)} of ${formatBytes(r.ram.bytes)}. One such host holds at most ${formatCount(r.maxConnsPerHost)} connections.`)
  } else if (r.hostsNeeded === null) {
    out.push(`Does not fit: ${formatBytes(r.memory.total)} needed, ${formatBytes(r.ram.bytes)} available, and the base and headroom alone do not leave room for one connection.`)
  } else {
    out.push(`Does not fit: ${formatBytes(r.memory.total)} needed, ${formatBytes(r.ram.bytes)} available. One such host holds at most ${formatCount(r.maxConnsPerHost)} connections; ${formatCount(r.conns)} take ${r.hostsNeeded} hosts.`)
  }
  out.push('', `Settings for ${formatCount(r.connsPerHost)} connections${r.hosts > 1 ? ' per host' : ''} (the values c1m apply sets and c1m doctor checks)`)
  out.push(...columns([['setting', 'needed', 'now', 'why'], ...settings.map((s) => [s.name, s.value, s.current ?? '', s.why])]).map((l) => `  ${l}`), '')

  out.push('Memory against connections')
  out.push(...renderTextChart(r.chart, r.ram.bytes).map((l) => `  ${l}`))
  return out.join('\n')
}
