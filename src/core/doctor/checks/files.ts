import {type Check, type CheckContext, FIX_DROP_IN, FIX_LIMITS_FILE, Skip, sysctlFix, sysctlNumber} from '../check.js'
import {formatCount} from '../../units.js'
import {processesNeeded, socketsPerConnection, usableFds} from '../../needs.js'
import {parseSysctlInt, parseSysctlInts} from '../../sysctl-value.js'
import type {LimitsEntry, ServerProcess} from '../../host-snapshot.js'
import {canRaiseHard} from '../../nofile-cap.js'

function limitValue(v: number | 'unlimited'): number {
  return v === 'unlimited' ? Number.POSITIVE_INFINITY : v
}

/**
 * Can this process raise its hard RLIMIT_NOFILE? Only with CAP_SYS_RESOURCE (root has it unless a
 * container drops it).
 */
export function canRaiseHardLimit(ctx: CheckContext): {can: boolean; why: string} {
  return canRaiseHard(ctx.host.process)
}

function nofile(ctx: CheckContext) {
  const limits = ctx.host.process.nofile
  if (!limits) throw new Skip(ctx.host.process.problems[0] ?? 'process limits were not read')
  return {soft: limitValue(limits.soft), hard: limitValue(limits.hard)}
}

/** With --pid: the audited process of the server's tree (lowest soft limit) and its open descriptors now. */
function serverProcess(ctx: CheckContext): ServerProcess | undefined {
  return ctx.host.server?.processes.find((p) => p.pid === ctx.host.process.pid)
}

const who = (ctx: CheckContext) => {
  const sp = serverProcess(ctx)
  if (sp) return `process ${sp.pid} (${sp.comm})`
  return ctx.host.process.pid === 'self' ? 'this shell' : `process ${ctx.host.process.pid}`
}

/**
 * Connections at which a nofile limit is reached. With --pid, from the descriptors the process
 * really holds: its TCP connections now plus the descriptors left (limit - open fds). Without, the
 * rule of thumb: the limit less a reserve for stdio, logs and epoll (usableFds).
 */
function nofileBreaksAt(ctx: CheckContext, limit: number): number | undefined {
  if (!Number.isFinite(limit)) return undefined
  const sp = serverProcess(ctx)
  if (!sp) return usableFds(limit)
  return sp.connections + Math.max(0, limit - sp.openFds)
}

/** The value shown for a nofile limit, naming the process of the tree it belongs to. */
function nofileCurrent(ctx: CheckContext, limit: number): string {
  const value = Number.isFinite(limit) ? formatCount(limit) : 'unlimited'
  const sp = serverProcess(ctx)
  const server = ctx.host.server
  if (!sp || !server) return value
  const of = server.processes.length > 1 ? `, lowest of ${server.processes.length} processes holding TCP sockets` : ''
  return `${value} (PID ${sp.pid} ${sp.comm}${of}; ${formatCount(sp.openFds)} fds open, ${formatCount(sp.connections)} connections)`
}

/** When the audited process is a child of --pid, its limit is set where it is started. */
function childHint(ctx: CheckContext): string {
  const sp = serverProcess(ctx)
  if (!sp || sp.pid === ctx.host.server?.pid) return ''
  return `; PID ${sp.pid} is a child of ${ctx.host.server!.pid} with its own limit (nginx: worker_rlimit_nofile)`
}

export const fileChecks: Check[] = [
  {
    id: 'fd.file-max',
    area: 'files',
    title: 'fs.file-max (open files, whole system)',
    reads: ['/proc/sys/fs/file-max', '/proc/sys/fs/file-nr'],
    why: 'every socket is an open file; at the limit accept() and connect() fail with ENFILE for every process',
    evaluate(ctx) {
      const max = sysctlNumber(ctx, 'fs.file-max')
      const inUse = parseSysctlInts(ctx.host.sysctl['fs.file-nr'], 3)?.[0] ?? 0
      const need = ctx.needs.fileMax
      return {
        status: max >= need ? 'pass' : 'fail',
        current: formatCount(max),
        needed: `>= ${formatCount(need)}`,
        breaksAt: Math.floor((max - inUse) / socketsPerConnection(ctx.target.role)),
        fix: max >= need ? undefined : sysctlFix('fs.file-max', need),
      }
    },
  },
  {
    id: 'fd.nr-open',
    area: 'files',
    title: 'fs.nr_open (highest nofile a process may get)',
    reads: ['/proc/sys/fs/nr_open'],
    why: 'no process can raise RLIMIT_NOFILE above fs.nr_open, whatever limits.conf or systemd say',
    evaluate(ctx) {
      const nrOpen = sysctlNumber(ctx, 'fs.nr_open')
      const need = ctx.needs.perProcessFds
      return {
        status: nrOpen >= need ? 'pass' : 'fail',
        current: formatCount(nrOpen),
        needed: `>= ${formatCount(need)}`,
        breaksAt: usableFds(nrOpen),
        fix: nrOpen >= need ? undefined : sysctlFix('fs.nr_open', ctx.needs.nrOpen),
        reason: nrOpen >= need ? undefined : `or shard the connections over ${processesNeeded(ctx.target.conns, nrOpen)} processes`,
      }
    },
  },
  {
    id: 'fd.nofile-hard',
    area: 'files',
    title: 'RLIMIT_NOFILE hard (per process)',
    reads: ['/proc/PID/limits', '/proc/PID/status'],
    why: 'a process can hold at most its hard nofile limit of sockets; past it accept() and socket() fail with EMFILE',
    evaluate(ctx) {
      const {hard} = nofile(ctx)
      const need = ctx.needs.perProcessFds
      const base = {current: nofileCurrent(ctx, hard), needed: `>= ${formatCount(need)}`, breaksAt: nofileBreaksAt(ctx, hard)}
      if (hard >= need) return {status: 'pass', ...base}
      const raise = canRaiseHardLimit(ctx)
      const shards = processesNeeded(ctx.target.conns, hard)
      if (raise.can) {
        return {
          status: 'fail',
          ...base,
          reason: `${who(ctx)} can raise it (${raise.why})${childHint(ctx)}`,
          fix: `ulimit -Hn ${need} && ulimit -Sn ${need}   # or LimitNOFILE=${need} in the service's unit`,
        }
      }
      return {
        status: 'fail',
        ...base,
        reason: `cannot be raised here: ${raise.why}${childHint(ctx)}; raise it where the process is started, or shard the connections over ${formatCount(shards)} processes of at most ${formatCount(usableFds(hard))} each (SO_REUSEPORT; c1m probe does)`,
        fix: `docker run --ulimit nofile=${need}:${need} IMAGE   # or LimitNOFILE=${need} in the systemd unit that starts it`,
      }
    },
  },
  {
    id: 'fd.nofile-soft',
    area: 'files',
    title: 'RLIMIT_NOFILE soft (per process)',
    reads: ['/proc/PID/limits'],
    why: 'the soft limit is what the process gets unless it raises it itself with setrlimit()',
    evaluate(ctx) {
      const {soft, hard} = nofile(ctx)
      const need = ctx.needs.perProcessFds
      const base = {current: nofileCurrent(ctx, soft), needed: `>= ${formatCount(need)}`, breaksAt: nofileBreaksAt(ctx, soft)}
      if (soft >= need) return {status: 'pass', ...base}
      if (soft >= hard) return {status: 'warn', ...base, reason: `already at the hard limit; the hard limit check says what to do${childHint(ctx)}`}
      return {status: 'warn', ...base, reason: `the process can raise it up to the hard limit itself${childHint(ctx)}`, fix: `ulimit -Sn ${Number.isFinite(hard) ? Math.min(need, hard) : need}`}
    },
  },
  {
    id: 'fd.limits-conf',
    area: 'files',
    title: 'nofile in /etc/security/limits.conf and limits.d',
    reads: ['/etc/security/limits.conf', '/etc/security/limits.d/*.conf'],
    why: 'pam_limits sets the nofile limit of login sessions (ssh, su) from these files; services started by systemd ignore them',
    evaluate(ctx) {
      const need = ctx.needs.nofile
      const {entries, files} = ctx.host.limitsConf
      if (files.length === 0) throw new Skip('no /etc/security/limits.conf (pam_limits is not set up here)')
      const last = (type: 'soft' | 'hard', domains: string[]): LimitsEntry | undefined =>
        entries.filter((e) => e.item === 'nofile' && domains.includes(e.domain) && (e.type === type || e.type === '-')).at(-1)
      // pam_limits: a `*` line does not apply to root; root needs its own line. --user: that user's lines.
      const user = ctx.host.limitsConf.user
      const domains = user !== undefined ? [user] : ctx.host.process.uid === 0 ? ['root'] : ['*']
      const fallback = user !== undefined && user !== 'root' ? ['*'] : ['*', 'root']
      const soft = last('soft', domains) ?? last('soft', fallback)
      const hard = last('hard', domains) ?? last('hard', fallback)
      const who = user === undefined ? ['*', 'root'] : [user]
      const fix = `printf '${who.map((d) => `${d} soft nofile ${need}\\n${d} hard nofile ${need}\\n`).join('')}' > ${FIX_LIMITS_FILE}`
      if (!soft && !hard) return {status: 'warn', current: 'not set', needed: `${formatCount(need)} soft and hard`, reason: 'login sessions get the distribution default', fix}
      const value = (e?: LimitsEntry) => {
        if (!e) return 0
        if (e.value === 'unlimited' || e.value === 'infinity') return Number.POSITIVE_INFINITY
        const n = parseSysctlInt(e.value)
        if (n === undefined) throw new Skip(`nofile value "${e.value}" at ${e.file}:${e.line} is malformed (expected an integer or unlimited)`)
        return n
      }
      const low = value(soft) < need || value(hard) < need
      const where = [soft, hard].filter(Boolean).map((e) => `${e!.file}:${e!.line}`)
      return {
        status: low ? 'warn' : 'pass',
        current: `soft ${soft?.value ?? 'unset'}, hard ${hard?.value ?? 'unset'} (${[...new Set(where)].join(', ')})`,
        needed: `>= ${formatCount(need)}`,
        reason: user === undefined && ctx.host.process.uid === 0 && !last('hard', ['root']) ? 'a `*` line does not apply to root; add root lines' : undefined,
        fix: low ? fix : undefined,
      }
    },
  },
  {
    id: 'fd.systemd',
    area: 'files',
    title: 'systemd LimitNOFILE',
    reads: ['/run/systemd/system', '/etc/systemd/system.conf', '/etc/systemd/system.conf.d/*.conf', 'unit files'],
    why: 'services started by systemd get LimitNOFILE from their unit, or DefaultLimitNOFILE (1024 soft since systemd 240)',
    evaluate(ctx) {
      const sd = ctx.host.systemd
      const need = ctx.needs.nofile
      if (!sd.running) throw new Skip('systemd is not running here (no /run/systemd/system)')
      const parse = (v: string) =>
        v.split(':').map((x) => {
          if (x.trim() === 'infinity') return Number.POSITIVE_INFINITY
          const n = parseSysctlInt(x)
          if (n === undefined) throw new Skip(`LimitNOFILE value "${v}" is malformed (expected N, N:M or infinity)`)
          return n
        })
      if (sd.unit) {
        if (sd.unit.problem) throw new Skip(sd.unit.problem)
        const fix = `mkdir -p /etc/systemd/system/${sd.unit.name}.d && printf '[Service]\\nLimitNOFILE=${need}\\n' > /etc/systemd/system/${sd.unit.name}.d/${FIX_DROP_IN} && systemctl daemon-reload && systemctl restart ${sd.unit.name}`
        if (!sd.unit.limitNOFILE) return {status: 'warn', current: 'not set (DefaultLimitNOFILE applies)', needed: `LimitNOFILE=${need}`, fix}
        const low = Math.min(...parse(sd.unit.limitNOFILE)) < need
        return {status: low ? 'fail' : 'pass', current: `${sd.unit.limitNOFILE} (${sd.unit.source})`, needed: `>= ${formatCount(need)}`, fix: low ? fix : undefined}
      }
      const fix = `mkdir -p /etc/systemd/system.conf.d && printf '[Manager]\\nDefaultLimitNOFILE=${need}\\n' > /etc/systemd/system.conf.d/${FIX_DROP_IN} && systemctl daemon-reexec`
      const d = sd.defaultLimitNOFILE
      if (!d) return {status: 'warn', current: 'not set (systemd default 1024:524288)', needed: `DefaultLimitNOFILE=${need}, or LimitNOFILE in the service's unit (--unit NAME)`, fix}
      const low = Math.min(...parse(d.value)) < need
      return {status: low ? 'warn' : 'pass', current: `${d.value} (${d.file})`, needed: `>= ${formatCount(need)}`, fix: low ? fix : undefined}
    },
  },
]
