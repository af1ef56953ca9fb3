import type {DoctorReport} from '../core/evaluate.js'

function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

/** JUnit XML: one testcase per check; fail is a failure, warn a failure only at --fail-on warn, skip is skipped. */
export function renderDoctorJunit(report: DoctorReport, failOn: 'warn' | 'fail' | 'none' = 'fail'): string {
  const failing = (status: string) => status === 'fail' ? failOn !== 'none' : status === 'warn' && failOn === 'warn'
  const cases = report.results.map((r) => {
    const name = `${r.id}: ${r.title}`
    const detail = [`current: ${r.current ?? ''}`, `needed: ${r.needed ?? ''}`, r.reason ? `note: ${r.reason}` : '', r.fix ? `fix: ${r.fix}` : '', `why: ${r.why}`].filter(Boolean).join('\n')
    let body = ''
    if (r.status === 'skip') body = `<skipped message="${esc(r.reason ?? '')}"/>`
    else if (failing(r.status)) body = `<failure type="${r.status}" message="${esc(`${r.current ?? ''} (needed ${r.needed ?? ''})`)}">${esc(detail)}</failure>`
    else body = `<system-out>${esc(detail)}</system-out>`
    return `    <testcase classname="c1m.doctor.${r.area}" name="${esc(name)}">${body}</testcase>`
  })
  const failures = report.results.filter((r) => failing(r.status)).length
  const suite = `c1m doctor ${report.target.conns} ${report.target.role}`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="c1m" tests="${report.results.length}" failures="${failures}">`,
    `  <testsuite name="${esc(suite)}" tests="${report.results.length}" failures="${failures}" skipped="${report.summary.skip}" timestamp="${report.generatedAt}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
  ].join('\n')
}
