import {unitDropInFile} from './systemd-unit.js'
import {CHANGES, type PlanRow} from './plan-rows.js'

export const SYSCTL_FILE = '/etc/sysctl.d/90-c1m.conf'
export const LIMITS_FILE = '/etc/security/limits.d/90-c1m.conf'
export const SYSTEMD_FILE = '/etc/systemd/system.conf.d/90-c1m.conf'
export const MODPROBE_FILE = '/etc/modprobe.d/90-c1m.conf'

/** Keys of the nf_conntrack module: absent from /proc/sys until the module loads. */
const isConntrackKey = (key: string) => key.startsWith('net.netfilter.nf_conntrack_')

const changed = (rows: PlanRow[], kind: PlanRow['kind']) => rows.filter((r) => r.kind === kind && CHANGES.includes(r.action))

function origin(r: PlanRow): string {
  if (r.source.own) return `c1m's own (not ${r.source.file}): ${r.source.own}`
  return r.formula ? `c1m: ${r.formula}` : `${r.source.file}, ${r.source.section}`
}

function header(profile: string): string {
  return `# Written by \`c1m apply --profile ${profile}\`; \`c1m revert\` puts back what was here before.\n`
}

/**
 * /etc/sysctl.d/90-c1m.conf: the values apply changes, each with its source. Undefined when
 * there are none. nf_conntrack keys get a leading `-`: systemd-sysctl then ignores a failure
 * to set them (the module may load after it runs; the hash size goes in modprobe.d instead).
 */
export function renderSysctlConf(profile: string, rows: PlanRow[]): string | undefined {
  const list = changed(rows, 'sysctl')
  if (list.length === 0) return undefined
  return header(profile) + list.map((r) => `# ${origin(r)}\n${isConntrackKey(r.key) ? '-' : ''}${r.key} = ${r.value}\n`).join('')
}

/**
 * The conntrack hash size apply sets: nf_conntrack_buckets when it changes, else a quarter of
 * a changing nf_conntrack_max (the kernel's own ratio: it sizes nf_conntrack_max at four
 * entries per bucket). Undefined when neither changes.
 */
export function conntrackHashsize(rows: PlanRow[]): number | undefined {
  const list = changed(rows, 'sysctl')
  const buckets = list.find((r) => r.key === 'net.netfilter.nf_conntrack_buckets')
  if (buckets) return Number(buckets.value)
  const max = list.find((r) => r.key === 'net.netfilter.nf_conntrack_max')
  return max ? Math.ceil(Number(max.value) / 4) : undefined
}

/**
 * /etc/modprobe.d/90-c1m.conf: the hash size as a module option, so it holds from the moment
 * nf_conntrack loads, whenever that is. Undefined when apply changes no conntrack size.
 */
export function renderModprobeConf(profile: string, rows: PlanRow[]): string | undefined {
  const size = conntrackHashsize(rows)
  if (size === undefined || !Number.isSafeInteger(size) || size < 1) return undefined
  const why = rows.some((r) => r.kind === 'sysctl' && CHANGES.includes(r.action) && r.key === 'net.netfilter.nf_conntrack_buckets')
    ? 'net.netfilter.nf_conntrack_buckets of the plan'
    : 'a quarter of net.netfilter.nf_conntrack_max of the plan (four entries per bucket, as the kernel sizes it)'
  return `${header(profile)}# ${why}\noptions nf_conntrack hashsize=${size}\n`
}

/**
 * /etc/security/limits.d/90-c1m.conf: nofile for the --user when there is one; else for `*`
 * (every login session) and for root, which a `*` line does not cover in pam_limits.
 */
export function renderLimitsConf(profile: string, rows: PlanRow[]): string | undefined {
  const list = changed(rows, 'nofile')
  if (list.length === 0) return undefined
  const lines = list.flatMap((r) => (r.user ? [`# ${origin(r)}`, `${r.user} ${r.key} nofile ${r.value}`] : [`# ${origin(r)}`, `*    ${r.key} nofile ${r.value}`, `root ${r.key} nofile ${r.value}`]))
  return header(profile) + lines.join('\n') + '\n'
}

/**
 * The systemd drop-in, and where it goes: with --unit, /etc/systemd/system/NAME.service.d/90-c1m.conf
 * with the service's own LimitNOFILE; with --systemd-default, /etc/systemd/system.conf.d/90-c1m.conf
 * with DefaultLimitNOFILE for every service that sets none. Undefined when the row does not change.
 */
export function renderSystemdDropIn(profile: string, rows: PlanRow[]): {file: string; content: string} | undefined {
  const row = changed(rows, 'systemd')[0]
  if (!row) return undefined
  if (row.unit) return {file: unitDropInFile(row.unit), content: `${header(profile)}# ${origin(row)}\n[Service]\nLimitNOFILE=${row.value}\n`}
  return {file: SYSTEMD_FILE, content: `${header(profile)}# ${origin(row)}\n[Manager]\nDefaultLimitNOFILE=${row.value}\n`}
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
