import {getBorderCharacters, table} from 'table'

import {kernelBytes} from '../core/probe/build-fit-report.js'
import {describePhases} from '../core/probe/phases.js'
import {soakLines} from './soak-text.js'
import type {LinearFit} from '../core/probe/fit-report.js'
import {describeRefusal, quoteBytes} from '../core/probe/refusal.js'
import {socketCaches} from '../core/estimate/socket-cost.js'
import {formatBytes, formatCount} from '../core/units.js'
import type {Isolation, ProbeRunReport, SettleSummary} from '../core/probe/run-report.js'
import {describeCompression, describeProtocol, describeTls} from '../core/probe/protocol.js'
import {describeHeld, describeServers} from './probe-servers-text.js'
import {describeEchoLatency, describePace, describeWorstWindow} from './echo-latency-text.js'
import {describeSessions} from '../core/probe/session.js'
import {describeFanoutSource, formatFanout} from '../core/probe/fanout.js'
import {PAGE_SIZE} from '../core/estimate/socket-cost.js'

const MiB = 1024 ** 2

function describeFit(fit: LinearFit): string {
  return `${formatBytes(fit.bytesPerConn)} per connection + ${formatBytes(fit.baseBytes)} (r² ${fit.r2.toFixed(3)})`
}

/** Where the connections lived, in one line. */
export function describeIsolation(isolation: Isolation): string {
  const limits = Object.entries(isolation.sysctls).map(([key, value]) => `${key} ${value}`).join(', ')
  const hosts = isolation.clientHosts
  const prefixes = hosts?.prefixes ?? []
  // Each host's own subnet; a long list as its first and last.
  const subnets = prefixes.length === 0 ? '' : `, subnets ${prefixes.length > 4 ? `${prefixes[0]} .. ${prefixes.at(-1)}` : prefixes.join(', ')}`
  const clients = hosts
    ? `; clients on ${hosts.count} simulated host${hosts.count > 1 ? 's' : ''} (${hosts.addresses.flat().length} addresses from ${hosts.addresses[0][0]}${subnets})${hosts.nat ? ' behind a masquerading router' : ''}, server at ${hosts.serverAddress}`
    : ''
  return isolation.netns
    ? `network namespace ${isolation.netns} (deleted afterwards), with ${limits}${clients}`
    : `host loopback (${isolation.reason}), with the host's ${limits}`
}

/** Where the IPv6 run's ends were: the server's address, and the clients' prefix or the hosts' own. */
function describeIpv6(report: ProbeRunReport): string {
  if (!report.ipv6) return ''
  const hosts = report.isolation.clientHosts
  const clients = hosts
    ? `clients bound to ${formatCount(report.ipv6.sources)} address(es) of their hosts' own /64s, routed to the server${hosts.nat ? ' through the NAT66 router' : ''}`
    : `clients bound to ${formatCount(report.ipv6.sources)} address(es) of it`
  return `, server ${report.ipv6.server} in ${report.ipv6.prefix} on lo, ${clients}`
}

/** --nat: the conntrack entry's cost, and the router's table by family. */
function describeConntrack(conntrack: NonNullable<ProbeRunReport['conntrack']>): string {
  const nat = conntrack.family === 6 ? '--nat, NAT66' : '--nat'
  const entries = conntrack.entries ? `; the router's table held ${formatCount(conntrack.entries.ipv6)} IPv6 and ${formatCount(conntrack.entries.ipv4)} IPv4 entries with the connections open` : ''
  return `conntrack (${nat}): ${formatBytes(conntrack.bytesPerConn)} per connection, the ${conntrack.cache} slab's growth (estimate --calibration uses it for the conntrack entry)${entries}`
}

/** What the hold held and, with traffic, the TCP buffer memory next to the idle figure. */
export function describeHold(report: ProbeRunReport): string[] {
  const hold = report.hold!
  const echo = hold.echo ? `, ${formatCount(hold.echo.echoed)} of ${formatCount(hold.echo.sent)} echoed after it` : ''
  // Reports from before serverCounted: the servers were counted unless a target was measured.
  const counted = hold.serverCounted ?? !report.target
  const held = counted
    ? `servers held ${formatCount(hold.serverOpen)}, clients ${formatCount(hold.clientOpen)}`
    : `clients held ${formatCount(hold.clientOpen)} (c1m's clients counted; your server's own count is not known to c1m)`
  const lines = [`hold: ${formatCount(hold.conns)} connections for ${hold.seconds} s${hold.interrupted ? ' (interrupted)' : ''}; at the end ${held}, ${formatCount(hold.dropped)} dropped${echo}`]
  const pushed = hold.messagesReceived
  const noun = report.session ? 'messages' : {sse: 'events', stream: 'chunks', ws: 'frames', mqtt: 'PUBLISH packets', 'long-poll': 'answers'}[report.protocol as string] ?? 'messages'
  if (pushed) lines.push(`pushed by the server during the hold: ${formatBytes(pushed.bytes)}, ${formatCount(pushed.events)} ${noun}`)
  const closed = hold.serverClosed
  if (closed && closed.connections > 0) {
    // Long-poll counts the HTTP status that ended a connection where WebSocket counts its close code.
    const label = report.protocol === 'long-poll' ? 'status' : 'close code'
    const codes = Object.entries(closed.closeCodes).map(([code, n]) => `${formatCount(n)} with ${label} ${code}`).join(', ')
    lines.push(`closed by the server during the hold: ${formatCount(closed.connections)} connection(s)${codes ? ` (${codes})` : ''}`)
  }
  if (hold.fanout) {
    lines.push(describeFanoutSource(hold.fanout.source), ...formatFanout(hold.fanout, PAGE_SIZE))
    if (hold.fanout.late) lines.push(`${formatCount(hold.fanout.late)} fan-out messages arrived after 256 newer broadcasts and were not timed`)
  }
  if (hold.pingsAnswered) lines.push(`WebSocket pings from the server answered with pongs: ${formatCount(hold.pingsAnswered)}`)
  const t = hold.traffic
  if (t) {
    lines.push(
      `traffic: ${formatBytes(t.messageSize)} ${describePace(t)}, ${formatBytes(t.bytesSent)} sent, ${formatBytes(t.bytesReceived)} echoed back${t.writeFailed ? `, ${formatCount(t.writeFailed)} writes cut short` : ''}`,
      `TCP buffers (sockstat mem, whole host): idle ${formatBytes(t.bytesPerConn.idle)} per connection; with traffic ${formatBytes(t.bytesPerConn.mean)} mean, ${formatBytes(t.bytesPerConn.peak)} peak (${t.sockstatMemPages.idle} -> ${t.sockstatMemPages.peak} pages)`,
    )
    for (const line of [describeEchoLatency(t), describeWorstWindow(t)]) if (line) lines.push(line)
  }
  lines.push(...soakLines(hold.soak))
  return lines
}

/** The probe's samples as a table, then the fitted lines, for a terminal. */
/** The server processes a --target run measured. */
function describeMeasured(report: ProbeRunReport): string {
  const target = report.target!
  const trees = report.server?.processes ?? []
  if (trees.length > 1) return `server processes ${trees.map((p) => p.pid).join(', ')} and ${target.serverProcesses - trees.length} child process(es) of theirs`
  return `server process ${target.serverPid} and ${target.serverProcesses - 1} child process(es)`
}

export function renderProbeReport(report: ProbeRunReport): string {
  const base = report.samples[0]
  const rows = [['connections', 'established', 'kernel (slab + tcp)', 'servers RSS', 'clients RSS']]
  for (const s of report.samples) {
    rows.push([
      formatCount(s.conns),
      formatCount(s.established),
      `+${((kernelBytes(s) - kernelBytes(base)) / MiB).toFixed(1)} MiB`,
      `${(s.server.rss / MiB).toFixed(1)} MiB`,
      `${(s.client.rss / MiB).toFixed(1)} MiB`,
    ])
  }
  const lines = [
    table(rows, {border: getBorderCharacters('norc'), columnDefault: {alignment: 'right'}, drawHorizontalLine: (i, size) => i === 0 || i === 1 || i === size}).trimEnd(),
    '',
    // First, before any figure: why the figures below are not to be trusted.
    ...(report.fit.problems ?? []).map((problem) => `not a measurement: ${problem}`),
    report.target
      ? `target ${report.target.endpoint}: ${describeMeasured(report)} measured; ${report.plan.processesPerSide} ${report.target.clientEngine} client process(es), up to ${formatCount(report.plan.connsPerProcess)} connections each, kernel ${report.host.kernel}`
      : `engine ${report.engine}, ${report.plan.processesPerSide} server and ${report.plan.processesPerSide} client process(es), up to ${formatCount(report.plan.connsPerProcess)} connections each, kernel ${report.host.kernel}`,
    `isolation: ${describeIsolation(report.isolation)}`,
    ...(report.family === 6 ? [`family: IPv6${describeIpv6(report)}`] : []),
    ...(report.target?.name ? [`host name: ${report.target.name}, resolved once before the run to the address connected to`] : []),
    ...((report.protocol && report.protocol !== 'tcp') || report.session ? [`protocol: ${describeProtocol(report.protocol ?? 'tcp', report.session?.app)}`] : []),
    ...(report.session ? [describeSessions(report.session)] : []),
    ...(report.tls ? [`tls: ${describeTls(report.tls, report.tls.verified, report.tls.bundled)}`] : []),
    ...(report.compression ? [`compression: ${describeCompression(report.compression)}`] : []),
    `kernel:  ${describeFit(report.fit.kernel)}; ${formatBytes(report.fit.kernel.bytesPerSocket)} per socket`,
    `servers: ${describeFit(report.fit.server)}`,
    ...describeServers(report),
    ...describeHeld(report),
    `clients: ${describeFit(report.fit.client)}`,
  ]
  const slab = Object.entries(report.fit.slabPerConn ?? {}).sort((a, b) => b[1] - a[1])
  if (slab.length > 0) {
    lines.push(`slab per connection: ${slab.map(([name, bytes]) => `${name} ${formatBytes(bytes)}`).join(', ')}`)
    const own = report.socketCaches ?? {bytesPerConn: 0, bytesPerSocket: 0}
    lines.push(`of which the socket's own caches (${socketCaches(report.family).join(', ')}): ${formatBytes(own.bytesPerConn)} per connection, ${formatBytes(own.bytesPerSocket)} per socket`)
  }
  if (report.conntrack) lines.push(describeConntrack(report.conntrack))
  else if (report.isolation.clientHosts?.nat) lines.push('conntrack (--nat): the nf_conntrack slab did not grow by a measurable amount per connection')
  if (report.hold) lines.push(...describeHold(report))
  if (report.echo) {
    const wrong = report.echo.mismatched ? `; ${formatCount(report.echo.mismatched)} answered with other bytes, first ${quoteBytes(report.echo.firstBytes ?? '')}` : ''
    const compressed = report.echo.compressed ? ` (${formatCount(report.echo.compressed)} of them answered with a compressed frame, not compared)` : ''
    lines.push(`echo check: ${formatCount(report.echo.echoed)} of ${formatCount(report.echo.sent)} connections echoed byte for byte${compressed}${wrong}`)
  }
  if (report.refused) lines.push(`refused: ${describeRefusal(report.refused, report.protocol)}`)
  const fastest = Math.max(...report.steps.map((s) => s.connectsPerSecond))
  if (report.steps.length > 0) lines.push(`connect rate: up to ${formatCount(fastest)} connections/s`)
  const timed = report.steps.filter((s) => s.openMs)
  if (timed.length > 0) {
    const batched = report.connectBatch ? `, connects submitted ${report.connectBatch} at a time` : ''
    const what = `${report.tls ? 'TCP, TLS and the opening' : report.protocol && report.protocol !== 'tcp' ? 'TCP and the opening' : 'TCP connect'}${report.session ? ' and the session' : ''}${batched}`
    lines.push(`time to open (${what}), by step, p50/p99/max ms: ${timed.map((s) => `${s.openMs!.p50}/${s.openMs!.p99}/${s.openMs!.max}`).join(', ')}`)
  }
  if (report.settle) lines.push(describeSettle(report.settle))
  if (report.phases) lines.push(describePhases(report.phases))
  return lines.join('\n')
}

/** "settle: 0.4 s over 6 waits, each ended on the counters (...)", or how many reached the bound. */
export function describeSettle(settle: SettleSummary): string {
  const waits = settle.counters + settle.bound + settle.sleep
  const head = `settle: ${settle.seconds.toFixed(2)} s over ${waits} wait${waits === 1 ? '' : 's'}`
  const parts = [
    settle.counters > 0 ? `${settle.counters === waits ? 'each' : settle.counters} ended on the counters (the servers held what the clients counted, the slab still between two readings)` : '',
    settle.bound > 0 ? `${settle.bound === waits ? 'each' : settle.bound} at the --settle bound of ${settle.boundMs} ms (the slab kept moving: other work on the host?)` : '',
    settle.sleep > 0 ? `${settle.sleep === waits ? 'each' : settle.sleep} a sleep of ${settle.boundMs} ms (someone else's server cannot be asked what it accepted)` : '',
  ]
  return `${head}, ${parts.filter(Boolean).join(', ')}`
}
