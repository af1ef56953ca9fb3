import {type HostRoot, listHostDir, readHostText} from '../files/root.js'
import type {NofileLimit, ProcessInfo, LimitsEntry} from '../../core/host-snapshot.js'
import {readSysctl} from './sysctl.js'
import {loginCannotLift} from '../../core/nofile-cap.js'
import type {PlanRow} from '../../core/profile/plan-rows.js'

function parseLimitValue(text: string | undefined): number | 'unlimited' | undefined {
  if (text === 'unlimited') return 'unlimited'
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined
}

/** The "Max open files" row of /proc/PID/limits; undefined when missing or malformed. */
export function parseProcLimits(text: string): NofileLimit | undefined {
  const line = text.split('\n').find((l) => l.startsWith('Max open files'))
  if (!line) return undefined
  const [soft, hard] = line.slice('Max open files'.length).trim().split(/\s+/).map(parseLimitValue)
  return soft === undefined || hard === undefined ? undefined : {soft, hard}
}

export function readProcessInfo(root: HostRoot, pid: number | 'self'): ProcessInfo {
  const info: ProcessInfo = {pid, problems: []}
  const limits = readHostText(root, `/proc/${pid}/limits`)
  if (limits.ok) {
    info.nofile = parseProcLimits(limits.text)
    if (!info.nofile) info.problems.push(`/proc/${pid}/limits: the "Max open files" row is missing or malformed`)
  } else info.problems.push(limits.reason)
  const status = readHostText(root, `/proc/${pid}/status`)
  if (status.ok) {
    for (const line of status.text.split('\n')) {
      const [key, rest] = line.split(/:\s*/, 2)
      if (key === 'Name') info.name = rest
      if (key === 'Uid' && /^\d+\s+\d+/.test(rest)) info.uid = Number(rest.split(/\s+/)[1])
      if (key === 'CapEff' && /^[0-9a-f]+$/i.test(rest.trim())) info.capEff = rest.trim()
    }
  } else info.problems.push(status.reason)
  return info
}

/** Lines of limits.conf syntax: `<domain> <type> <item> <value>`, # comments. */
export function parseLimitsConf(text: string, file: string): LimitsEntry[] {
  const entries: LimitsEntry[] = []
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim()
    if (!line) continue
    const [domain, type, item, value] = line.split(/\s+/)
    if (!value || !['soft', 'hard', '-'].includes(type)) continue
    entries.push({file, line: i + 1, domain, type: type as LimitsEntry['type'], item, value})
  }
  return entries
}

/**
 * /etc/security/limits.conf, then limits.d/*.conf in name order (pam_limits' order); `user` names the
 * user whose lines count (as `apply --user` writes them), else `*`.
 */
export function readLimitsConf(root: HostRoot, user?: string): {entries: LimitsEntry[]; files: string[]; problems: string[]; user?: string} {
  const files = ['/etc/security/limits.conf', ...listConfDir(root, '/etc/security/limits.d')]
  const entries: LimitsEntry[] = []
  const problems: string[] = []
  const read: string[] = []
  for (const file of files) {
    const result = readHostText(root, file)
    if (!result.ok) {
      problems.push(result.reason)
      continue
    }
    read.push(file)
    entries.push(...parseLimitsConf(result.text, file))
  }
  return {entries, files: read, problems, ...(user === undefined ? {} : {user})}
}

/** `*.conf` files of a directory under the root, sorted by name; none when it is missing. */
export function listConfDir(root: HostRoot, dir: string): string[] {
  const listed = listHostDir(root, dir)
  // A link in a saved tree is not an empty directory: the directory itself is then read, and its
  // read failure (with the reason) is reported where the files' would be.
  if (!listed.ok) return listed.refused ? [dir] : []
  return listed.names
    .filter((name) => name.endsWith('.conf'))
    .sort()
    .map((name) => `${dir}/${name}`)
}

/** The hard RLIMIT_NOFILE the probe processes inherit from this one ("unlimited" means fs.nr_open). */
export function readHardNofile(root: HostRoot): number {
  const hard = readProcessInfo(root, 'self').nofile?.hard
  if (typeof hard === 'number') return hard
  const nrOpen = readSysctl(root, 'fs.nr_open')
  return nrOpen.ok ? Number(nrOpen.text) : 1_048_576
}

/**
 * apply's warning when the limits.d nofile lines it plans or keeps cannot take effect: the hard limit of the
 * processes here (this one's, read from the target's /proc/self) is capped and nothing may raise it.
 */
export function nofileCapNote(root: HostRoot, rows: PlanRow[]): string | undefined {
  // Kept lines as well as new ones: either way doctor's fd.nofile-hard still FAILs under the cap.
  const wanted = rows.filter((r) => r.kind === 'nofile' && r.action !== 'skip').map((r) => Number(r.value ?? r.wanted)).filter((n) => Number.isFinite(n))
  if (wanted.length === 0) return undefined
  return loginCannotLift(readProcessInfo(root, 'self'), Math.max(...wanted))
}
