import chalk from 'chalk'
import {table} from 'table'

import type {Status} from '../core/doctor/check.js'
import type {FleetReport} from '../core/doctor/fleet.js'
import {formatCount} from '../core/units.js'
import {printable} from './escape.js'

const PAINT: Record<Status | 'absent', (s: string) => string> = {
  pass: chalk.green,
  warn: chalk.yellow,
  fail: chalk.red.bold,
  skip: chalk.gray,
  absent: chalk.gray,
}

const cell = (status: Status | 'absent') => PAINT[status](status === 'absent' ? '-' : status.toUpperCase())

/** The fleet's first break in one line. */
export function fleetBreakLine(fleet: FleetReport): string {
  const fb = fleet.firstBreak
  if (!fb) return `All ${fleet.summary.hosts} hosts are ready: nothing fails or warns.`
  const at = fb.breaksAt === undefined ? '' : ` at about ${formatCount(Math.max(0, fb.breaksAt))} connections`
  const verb = fb.status === 'fail' ? 'breaks first' : 'has the first warning'
  return `${printable(fb.host)} ${verb}: ${printable(fb.id)} (${printable(fb.title)})${at}.${fb.fix ? ` Fix: ${printable(fb.fix)}` : ''}`
}

/**
 * doctor --merge as text: the hosts (target, counts, first break), then one row per check
 * that does not pass on every host, a column per host; checks that pass everywhere are counted.
 */
export function renderFleetTable(fleet: FleetReport): string {
  const hostRows = [['host', 'kernel', 'target', 'pass', 'warn', 'fail', 'skip', 'breaks first'].map((h) => chalk.bold(h))]
  for (const h of fleet.hosts) {
    const fb = h.firstBreak
    const first = fb ? `${printable(fb.id)}${fb.breaksAt === undefined ? '' : ` at ${formatCount(Math.max(0, fb.breaksAt))}`}` : '-'
    hostRows.push([
      printable(h.name),
      printable(h.kernel ?? '?'),
      `${formatCount(h.target.conns)} ${h.target.family === 6 ? 'IPv6 ' : ''}${printable(h.target.role)}`,
      String(h.summary.pass),
      String(h.summary.warn),
      h.summary.fail > 0 ? chalk.red.bold(String(h.summary.fail)) : '0',
      String(h.summary.skip),
      first,
    ])
  }
  const names = fleet.hosts.map((h) => h.name)
  const differing = fleet.checks.filter((c) => names.some((n) => c.statuses[n] !== 'pass'))
  const out = [`c1m doctor --merge: ${fleet.summary.hosts} hosts, ${fleet.summary.ready} ready`, table(hostRows, {drawHorizontalLine: (i, size) => i <= 1 || i === size})]
  if (differing.length > 0) {
    const rows = [[chalk.bold('check'), ...names.map((n) => chalk.bold(printable(n)))]]
    for (const c of differing) rows.push([printable(c.id), ...names.map((n) => cell(c.statuses[n]))])
    out.push(table(rows, {drawHorizontalLine: (i, size) => i <= 1 || i === size}))
  }
  const passing = fleet.checks.length - differing.length
  out.push(`${passing} of ${fleet.checks.length} checks pass on every host${passing > 0 && differing.length > 0 ? ' (not shown)' : ''}.`, fleetBreakLine(fleet))
  return out.join('\n')
}
