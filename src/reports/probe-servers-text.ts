import {describeDifference, type HeldFigure} from '../core/probe/held-figure.js'
import {formatBytes, formatCount} from '../core/units.js'
import type {ProbeRunReport} from '../core/probe/run-report.js'
import type {ClientServerFigures, ServerFigures} from '../core/probe/server-figures.js'

/** With --target: each --server-pid's tree on its own, and the sockets they hold per connection. */
export function describeServers(report: ProbeRunReport): string[] {
  if (!report.server) return []
  const lines = describeTrees(report.server, 'over the ramp')
  if (report.server.socketsPerConnection !== undefined) {
    lines.push(`  the servers hold ${report.server.socketsPerConnection} socket(s) per client connection: ${report.socketsPerConn} on this host with the client's, the kernel's per-socket figure divides by it`)
  }
  return lines
}

/** The servers' memory during the hold: the settled figure c1m quotes, against the ramp's slope. */
export function describeHeld(report: ProbeRunReport): string[] {
  const held = report.hold?.held
  return held ? heldLines(held, report.hold?.serverMemory ?? [], "the ramp's slope") : []
}

/** `c1m client --server-pid`: each tree, the sockets, and the held figure. */
export function describeClientServers(figures: ClientServerFigures): string[] {
  const lines = describeTrees(figures, 'once open')
  if (figures.socketsPerConnection !== undefined) lines.push(`  the servers hold ${figures.socketsPerConnection} socket(s) per client connection`)
  const held = figures.hold?.held
  if (held) lines.push(...heldLines(held, figures.hold!.serverMemory, 'the figure once open'))
  return lines
}

function describeTrees(server: ServerFigures, when: string): string[] {
  return server.processes.map((p) => {
    const sockets = p.socketsPerConnection === undefined ? 'its sockets not counted (descriptors unreadable)' : `${p.socketsPerConnection} socket(s) per connection`
    const held = p.heldBytesPerConnection === undefined ? '' : `, ${formatBytes(p.heldBytesPerConnection)} held`
    return `  server ${p.pid} (${p.name || '?'}, ${formatCount(p.processes)} process(es)): ${formatBytes(p.bytesPerConnection)} per connection ${when}${held}; ${sockets}`
  })
}

function heldLines(held: HeldFigure, readings: {t: number}[], against: string): string[] {
  const over = `${readings.length} readings over ${readings.at(-1)?.t ?? 0} s`
  if (held.trend !== 'settled' || held.bytesPerConn === undefined) {
    const why = held.trend === 'short' ? 'too few to tell whether it settled' : `still ${held.trend === 'noisy' ? 'swinging' : held.trend} at the end`
    return [`servers during the hold: ${over}, ${why}; ${against}, ${formatBytes(held.rampBytesPerConn)} per connection, stands`]
  }
  const differs = held.differs ? `: ${describeDifference(held.differs)}` : ', within 10%'
  return [`servers held: ${formatBytes(held.bytesPerConn)} per connection once settled (after ${held.settledAfter} s of the hold, ${over}); ${against} was ${formatBytes(held.rampBytesPerConn)}${differs}`]
}
