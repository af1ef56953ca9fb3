import {AREAS} from '../core/doctor/check.js'
import type {DoctorReport} from '../core/doctor/run-doctor.js'
import {formatCount} from '../core/units.js'
import {firstBreakLine, processLines} from './doctor-table.js'

const ICON = {pass: 'PASS', warn: 'WARN', fail: '**FAIL**', skip: 'skip'}

function cell(text: string | undefined): string {
  return (text ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ')
}

/** Markdown for pasting into a ticket: a table per area, then the fixes. */
export function renderDoctorMarkdown(report: DoctorReport): string {
  const out = [`## c1m doctor: ${formatCount(report.target.conns)} ${report.target.role}${report.target.family === 6 ? ' IPv6' : ''} connections`, '', `**${firstBreakLine(report)}**`, '']
  const processes = processLines(report)
  if (processes.length > 0) out.push(processes[0], '', ...processes.slice(1).map((line) => `- ${line.trim()}`), '')
  const areas = [...new Set(report.results.map((r) => r.area))]
  for (const area of areas) {
    out.push(`### ${AREAS[area]}`, '', '| status | check | current | needed |', '|---|---|---|---|')
    for (const r of report.results.filter((x) => x.area === area)) {
      out.push(`| ${ICON[r.status]} | \`${r.id}\` | ${cell(r.status === 'skip' ? r.reason : r.current)} | ${cell(r.needed)} |`)
    }
    out.push('')
  }
  const actionable = report.results.filter((r) => r.fix && (r.status === 'fail' || r.status === 'warn'))
  if (actionable.length > 0) {
    out.push('### Fixes', '')
    for (const r of actionable) out.push(`- \`${r.id}\`${r.reason ? ` (${cell(r.reason)})` : ''}:`, '  ```sh', `  ${r.fix}`, '  ```')
  }
  const s = report.summary
  out.push('', `${s.pass} pass, ${s.warn} warn, ${s.fail} fail, ${s.skip} skip. Generated ${report.generatedAt}.`)
  return out.join('\n')
}
