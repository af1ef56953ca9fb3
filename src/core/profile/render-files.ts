import {CHANGES, type PlanRow} from './plan-apply.js'

export const SYSCTL_FILE = '/etc/sysctl.d/90-c1m.conf'
export const LIMITS_FILE = '/etc/security/limits.d/90-c1m.conf'
export const SYSTEMD_FILE = '/etc/systemd/system.conf.d/90-c1m.conf'

const changed = (rows: PlanRow[], kind: PlanRow['kind']) => rows.filter((r) => r.kind === kind && CHANGES.includes(r.action))

function origin(r: PlanRow): string {
  return r.formula ? `c1m: ${r.formula}` : `${r.source.file}, ${r.source.section}`
}

function header(profile: string): string {
  return `# Written by \`c1m apply --profile ${profile}\`; \`c1m revert\` puts back what was here before.\n`
}

/** /etc/sysctl.d/90-c1m.conf: the values apply changes, each with its source. Undefined when there are none. */
export function renderSysctlConf(profile: string, rows: PlanRow[]): string | undefined {
  const list = changed(rows, 'sysctl')
  if (list.length === 0) return undefined
  return header(profile) + list.map((r) => `# ${origin(r)}\n${r.key} = ${r.value}\n`).join('')
}

/**
 * /etc/security/limits.d/90-c1m.conf: nofile for every user, and for root, which a `*` line
 * does not cover in pam_limits.
 */
export function renderLimitsConf(profile: string, rows: PlanRow[]): string | undefined {
  const list = changed(rows, 'nofile')
  if (list.length === 0) return undefined
  const lines = list.flatMap((r) => [`# ${origin(r)}`, `*    ${r.key} nofile ${r.value}`, `root ${r.key} nofile ${r.value}`])
  return header(profile) + lines.join('\n') + '\n'
}

/** /etc/systemd/system.conf.d/90-c1m.conf: DefaultLimitNOFILE for services that set no LimitNOFILE. */
export function renderSystemdDropIn(profile: string, rows: PlanRow[]): string | undefined {
  const row = changed(rows, 'systemd')[0]
  if (!row) return undefined
  return `${header(profile)}# ${origin(row)}\n[Manager]\nDefaultLimitNOFILE=${row.value}\n`
}

/**
 * Lines in sysctl files that `sysctl --system` reads after 90-c1m.conf (a later name in
 * sysctl.d, or /etc/sysctl.conf, which it reads last) and that set one of c1m's keys to
 * another value: at boot they would win.
 */
export function laterOverrides(rows: PlanRow[], entries: {file: string; line: number; key: string; value: string}[]): string[] {
  const mine = new Map(changed(rows, 'sysctl').map((r) => [r.key, r.value!]))
  const ours = SYSCTL_FILE.split('/').at(-1)!
  const later = (file: string) => file === '/etc/sysctl.conf' || (file !== SYSCTL_FILE && file.split('/').at(-1)! > ours)
  return entries
    .filter((e) => mine.has(e.key) && later(e.file) && e.value !== mine.get(e.key))
    .map((e) => `${e.file}:${e.line} sets ${e.key} = ${e.value}; it is read after ${SYSCTL_FILE} and would override ${mine.get(e.key)} at boot`)
}
