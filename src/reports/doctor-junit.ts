import type {DoctorReport, DoctorResult} from '../core/doctor/run-doctor.js'
import {escapeXml as esc} from './escape.js'

type FailOn = 'warn' | 'fail' | 'none'


function seconds(ms: number): string {
  return (ms / 1000).toFixed(3)
}

function detail(r: DoctorResult): string {
  return [`current: ${r.current ?? ''}`, `needed: ${r.needed ?? ''}`, r.reason ? `note: ${r.reason}` : '', r.fix ? `fix: ${r.fix}` : '', `why: ${r.why}`].filter(Boolean).join('\n')
}

function summary(r: DoctorResult): string {
  return `${r.status.toUpperCase()}: ${r.current ?? ''} (needed ${r.needed ?? ''})${r.reason ? `; ${r.reason}` : ''}`
}

/**
 * What a check is in JUnit terms. FAIL is always a <failure>, whatever --fail-on says. WARN is a
 * <failure type="warn"> when --fail-on warn gates on it, else a <skipped> whose message starts
 * "WARN:", so CI shows it beside the passes without failing the build. A skipped check (input
 * missing, --skip) is a <skipped> with its reason. PASS has only its details in <system-out>.
 */
function testcaseBody(r: DoctorResult, failOn: FailOn): {body: string; kind: 'failure' | 'skipped' | 'pass'} {
  if (r.status === 'fail' || (r.status === 'warn' && failOn === 'warn')) {
    return {kind: 'failure', body: `<failure type="${r.status}" message="${esc(summary(r))}">${esc(detail(r))}</failure>`}
  }
  if (r.status === 'warn') return {kind: 'skipped', body: `<skipped type="warn" message="${esc(summary(r))}"/><system-out>${esc(detail(r))}</system-out>`}
  if (r.status === 'skip') return {kind: 'skipped', body: `<skipped type="skip" message="${esc(r.reason ?? 'skipped')}"/>`}
  return {kind: 'pass', body: `<system-out>${esc(detail(r))}</system-out>`}
}

/** Ant's JUnit format wants a timestamp without a zone: the UTC time, to the second. */
function antTimestamp(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19)
}

/** JUnit XML (the Jenkins/Ant junit-10.xsd format): one testcase per check. */
export function renderDoctorJunit(report: DoctorReport, failOn: FailOn = 'fail', version = ''): string {
  const cases = report.results.map((r) => ({r, ...testcaseBody(r, failOn)}))
  const count = (kind: string) => cases.filter((c) => c.kind === kind).length
  const time = seconds(report.results.reduce((sum, r) => sum + r.elapsedMs, 0))
  const totals = `tests="${cases.length}" failures="${count('failure')}" errors="0" skipped="${count('skipped')}" time="${time}"`
  const suite = `c1m doctor ${report.target.conns} ${report.target.role}`
  const hostname = report.host.hostname ?? (report.host.live ? 'localhost' : report.host.root)
  const properties = [
    ['c1m.version', version],
    ['target.conns', String(report.target.conns)],
    ['target.role', report.target.role],
    ['target.family', String(report.target.family ?? 4)],
    ['fail-on', failOn],
    ['host.root', report.host.root],
    ['host.kernel', report.host.kernel ?? ''],
    ['timestamp.zone', 'UTC'],
  ].map(([name, value]) => `      <property name="${esc(name)}" value="${esc(value)}"/>`)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="c1m" ${totals.replace(/ skipped="\d+"/, '')}>`,
    `  <testsuite name="${esc(suite)}" ${totals} timestamp="${antTimestamp(report.generatedAt)}" hostname="${esc(hostname)}">`,
    '    <properties>',
    ...properties,
    '    </properties>',
    ...cases.map(({r, body}) => `    <testcase classname="c1m.doctor.${r.area}" name="${esc(`${r.id}: ${r.title}`)}" time="${seconds(r.elapsedMs)}">${body}</testcase>`),
    '  </testsuite>',
    '</testsuites>',
  ].join('\n')
}
