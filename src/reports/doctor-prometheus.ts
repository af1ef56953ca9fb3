import type {Status} from '../core/doctor/check.js'
import type {DoctorReport} from '../core/doctor/run-doctor.js'

// doctor in the Prometheus text exposition format (version 0.0.4), for node_exporter's
// textfile collector: every check's status, the connection count where a check knows its
// limit breaks, the target, readiness and when the audit ran. No timestamps on samples: the
// textfile collector refuses them; c1m_last_run_timestamp_seconds says when instead.

export const STATUS_VALUE: Record<Status, number> = {pass: 0, warn: 1, fail: 2, skip: 3}

/** A label value as the format wants it: backslash, double quote and newline escaped. */
function label(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')
}

function labels(pairs: Record<string, string>): string {
  return `{${Object.entries(pairs).map(([k, v]) => `${k}="${label(v)}"`).join(',')}}`
}

interface Family {
  name: string
  help: string
  samples: {labels?: Record<string, string>; value: number}[]
}

function renderFamily(f: Family): string {
  const lines = [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} gauge`]
  for (const s of f.samples) lines.push(`${f.name}${s.labels ? labels(s.labels) : ''} ${s.value}`)
  return lines.join('\n')
}

export function renderDoctorPrometheus(report: DoctorReport, version: string): string {
  const ready = report.summary.fail === 0 ? 1 : 0
  const families: Family[] = [
    {
      name: 'c1m_check_status',
      help: 'Result of each c1m doctor check: 0 pass, 1 warn, 2 fail, 3 skip.',
      samples: report.results.map((r) => ({labels: {id: r.id, area: r.area}, value: STATUS_VALUE[r.status]})),
    },
    {
      name: 'c1m_check_breaks_at_connections',
      help: 'Concurrent connections at which the limit a check reads is reached on this host.',
      samples: report.results.filter((r) => r.breaksAt !== undefined).map((r) => ({labels: {id: r.id}, value: r.breaksAt!})),
    },
    {
      name: 'c1m_target_connections',
      help: 'Concurrent connections the host was audited for (c1m doctor --conns), by role.',
      samples: [{labels: {role: report.target.role}, value: report.target.conns}],
    },
    {name: 'c1m_ready', help: '1 when no c1m doctor check fails, else 0.', samples: [{value: ready}]},
    {
      name: 'c1m_checks',
      help: 'Number of c1m doctor checks with each status.',
      samples: (['pass', 'warn', 'fail', 'skip'] as const).map((status) => ({labels: {status}, value: report.summary[status]})),
    },
    {
      name: 'c1m_last_run_timestamp_seconds',
      help: 'Unix time at which c1m doctor ran.',
      samples: [{value: Date.parse(report.generatedAt) / 1000}],
    },
    {
      name: 'c1m_info',
      help: 'The c1m version and the kernel it audited; always 1.',
      samples: [{labels: {version, kernel: report.host.kernel ?? 'unknown'}, value: 1}],
    },
  ]
  return families.filter((f) => f.samples.length > 0).map(renderFamily).join('\n') + '\n'
}
