import chalk from 'chalk'
import {table} from 'table'

import {AREAS, type Status} from '../core/doctor/check.js'
import type {DoctorReport} from '../core/doctor/run-doctor.js'
import {formatCount} from '../core/units.js'

const PAINT: Record<Status, (s: string) => string> = {
  pass: chalk.green,
  warn: chalk.yellow,
  fail: chalk.red.bold,
  skip: chalk.gray,
}

/** The line that says what stops the host first on the way to N. */
export function firstBreakLine(report: DoctorReport): string {
  const n = formatCount(report.target.conns)
  const fb = report.firstBreak
  if (!fb) return `Ready for ${n} ${report.target.role} connections: nothing fails or warns.`
  const at = fb.breaksAt === undefined ? '' : ` at about ${formatCount(Math.max(0, fb.breaksAt))} connections`
  const verb = fb.status === 'fail' ? 'breaks first' : 'is the first warning'
  return `For ${n} ${report.target.role} connections, ${fb.id} (${fb.title}) ${verb}${at}.${fb.fix ? ` Fix: ${fb.fix}` : ''}`
}

/** With --pid: each process of the server that holds TCP sockets, with its limits, the audited one marked. */
export function processLines(report: DoctorReport): string[] {
  const {processes, pid, auditedPid} = report.host
  if (!processes || processes.length === 0) return []
  const limit = (v: number | 'unlimited') => (v === 'unlimited' ? 'unlimited' : formatCount(v))
  const rows = processes.map((p) => {
    const mark = p.pid === auditedPid ? ' <- lowest soft limit, audited' : ''
    return `  PID ${p.pid} ${p.comm}: nofile ${limit(p.nofileSoft)} soft / ${limit(p.nofileHard)} hard, ${formatCount(p.openFds)} fds open, ${formatCount(p.listening)} listening, ${formatCount(p.connections)} connections${mark}`
  })
  const holds = processes.some((p) => p.sockets > 0)
  return [`--pid ${pid}: ${holds ? 'processes holding TCP sockets' : 'no process of its tree holds a TCP socket'}`, ...rows]
}

/** Doctor's human output: a table grouped by area, the fixes, then the first-break line. */
export function renderDoctorTable(report: DoctorReport, width = process.stdout.columns || 120): string {
  const rows: string[][] = [[chalk.bold('status'), chalk.bold('check'), chalk.bold('current'), chalk.bold('needed')]]
  const spanning: Array<{col: number; row: number; colSpan: number}> = []
  let lastArea = ''
  for (const r of report.results) {
    if (r.area !== lastArea) {
      spanning.push({col: 0, row: rows.length, colSpan: 4})
      rows.push([chalk.bold.cyan(AREAS[r.area]), '', '', ''])
      lastArea = r.area
    }
    const current = r.status === 'skip' ? chalk.gray(r.reason ?? '') : (r.current ?? '')
    rows.push([PAINT[r.status](r.status.toUpperCase()), r.id, current, r.needed ?? ''])
  }
  const usable = Math.max(80, width) - 13
  const col = (share: number) => Math.max(12, Math.floor(usable * share))
  const out = [
    `c1m doctor: ${formatCount(report.target.conns)} ${report.target.family === 6 ? 'IPv6 ' : ''}connections, role ${report.target.role}, ${report.host.live ? 'this host' : `saved tree ${report.host.root}`}${report.host.kernel ? `, Linux ${report.host.kernel}` : ''}`,
    ...processLines(report),
    table(rows, {
      spanningCells: spanning,
      columns: [{width: 6}, {width: col(0.22), wrapWord: true}, {width: col(0.4), wrapWord: true}, {width: col(0.38) - 6, wrapWord: true}],
      drawHorizontalLine: (i, size) => i === 0 || i === 1 || i === size || spanning.some((s) => s.row === i),
    }),
  ]
  const actionable = report.results.filter((r) => (r.status === 'fail' || r.status === 'warn') && (r.fix || r.reason))
  if (actionable.length > 0) {
    out.push(chalk.bold('What to do'))
    for (const r of actionable) {
      out.push(`${PAINT[r.status](r.status.toUpperCase())} ${r.id}${r.reason ? `: ${r.reason}` : ''}`)
      if (r.fix) out.push(`     ${chalk.cyan(r.fix)}`)
    }
    out.push('')
  }
  const s = report.summary
  out.push(`${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip`, chalk.bold(firstBreakLine(report)))
  return out.join('\n')
}
