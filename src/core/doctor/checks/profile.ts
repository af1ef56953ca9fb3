import {type Check, type CheckContext, type Finding, Skip, sysctlFix} from '../check.js'
import {LEGACY_NAMES} from '../../profile/kernel-keys.js'
import {planApply} from '../../profile/plan-apply.js'
import {resolveProfile} from '../../profile/resolve-profile.js'
import type {Profile, ProfileValue} from '../../profile/types.js'
import {sysctlPath} from '../../sysctl-name.js'
import {planFacts} from '../../profile/plan-facts.js'
import type {PlanFacts, PlanRow} from '../../profile/plan-rows.js'

/**
 * The planner's facts from doctor's snapshot: the global DefaultLimitNOFILE, or with --unit that
 * service's LimitNOFILE; with --user that user's limits.d lines, as `apply --user` plans them.
 */
function factsFrom(ctx: CheckContext): PlanFacts {
  const {host} = ctx
  const unit = host.systemd.unit
  const input = {kernel: host.sysctl['kernel.osrelease'], memTotal: host.memory.meminfo?.MemTotal, sysctl: host.sysctl, limits: host.limitsConf.entries, systemd: host.systemd}
  return planFacts(input, {unit: unit && !unit.problem ? unit.name.replace(/\.service$/, '') : undefined, systemdDefault: true, user: host.limitsConf.user})
}

function reads(v: ProfileValue): string[] {
  if (v.kind === 'sysctl') return [sysctlPath(LEGACY_NAMES[v.key]?.name ?? v.key)]
  if (v.kind === 'nofile') return ['/etc/security/limits.conf', '/etc/security/limits.d/*.conf']
  if (v.kind === 'systemd') return ['/etc/systemd/system.conf', '/etc/systemd/system.conf.d/*.conf']
  return ['interface addresses']
}

function title(profile: string, v: ProfileValue): string {
  const what = v.kind === 'sysctl' ? v.key : v.kind === 'nofile' ? `nofile ${v.key} in limits.d` : v.kind === 'systemd' ? `systemd ${v.key}` : 'client source addresses'
  return `${what} (profile ${profile})`
}

/** Client addresses: the host's non-loopback IPv4 addresses against the count the profile wants. */
function addressFinding(ctx: CheckContext, wanted: number): Finding {
  const a = ctx.host.addresses
  if (!a) throw new Skip('interface addresses were not read')
  if (a.problem) throw new Skip(a.problem)
  const have = a.addresses.filter((x) => x.family === 'IPv4' && !x.internal).length
  return {status: have >= wanted ? 'pass' : 'fail', current: String(have), needed: `>= ${wanted}`, fix: have >= wanted ? undefined : 'c1m apply --profile ... --role client --iface IF --addresses CIDR'}
}

function finding(profile: string, row: PlanRow): Finding {
  const base = {current: row.current ?? 'not set', needed: row.wanted}
  if (row.action === 'keep') return {status: 'pass', ...base, reason: row.why}
  if (row.action === 'skip') return {status: 'skip', ...base, reason: row.why}
  const flag = row.kind !== 'systemd' ? '' : row.unit ? ` --unit ${row.unit}` : ' --systemd-default'
  const fix = row.kind === 'sysctl' ? sysctlFix(row.key, row.value!) : `c1m apply --profile ${profile}${flag}`
  return {status: 'fail', ...base, needed: row.value ?? row.wanted, reason: `apply would ${row.action} it: ${row.why}`, fix}
}

/**
 * Doctor checks for a profile: one per value, passing when the host already has it (or more,
 * since apply only raises), skipped where apply would skip it (a removed key, a tcp_mem in
 * bytes, a value for another role), failing with the fix otherwise. The same planner as
 * `c1m apply` decides, so a host that was just applied passes.
 */
export function profileChecks(profile: Profile): Check[] {
  return profile.values.map((v) => ({
    id: `profile.${v.kind === 'sysctl' ? v.key : v.id.replace(' ', '.')}`,
    area: 'profile',
    title: title(profile.name, v),
    reads: reads(v),
    why: v.source.own ? `c1m's own, not ${v.source.file}: ${v.source.own}` : v.formula ? `c1m model: ${v.formula}` : `${v.source.file}, ${v.source.section}${v.source.note ? ` (${v.source.note})` : ''}`,
    evaluate(ctx: CheckContext): Finding {
      const [resolved] = resolveProfile({...profile, values: [v]}, {conns: ctx.target.conns, role: ctx.target.role, family: ctx.target.family, memTotal: ctx.host.memory.meminfo?.MemTotal})
      if (!resolved && v.family && v.family !== (ctx.target.family ?? 4)) throw new Skip(`for IPv${v.family} only (--family ${v.family})`)
      if (!resolved) throw new Skip(`for the ${v.roles!.join(' and ')} role${v.roles!.length > 1 ? 's' : ''} only`)
      if (v.kind === 'addresses') {
        if (ctx.target.role !== 'client') throw new Skip('source addresses are for the client role')
        if (ctx.target.family === 6) throw new Skip('over IPv6 one prefix routed to this host gives the source addresses (ports.sources)')
        return addressFinding(ctx, Number(resolved.value))
      }
      const [row] = planApply([resolved], factsFrom(ctx), {role: ctx.target.role, family: ctx.target.family, allowLower: false})
      return finding(profile.name, row)
    },
  }))
}
