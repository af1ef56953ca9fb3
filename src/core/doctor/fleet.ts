import type {Area, Status} from './check.js'
import type {DoctorReport, FirstBreak} from './run-doctor.js'
import type {Target} from '../needs.js'

// doctor --merge: the doctor reports of many hosts as one fleet result. Pure: the reports
// are read and checked by host/doctor-reports.ts, rendered by reports/fleet-table.ts.

export const FLEET_SCHEMA = 'c1m.doctor-fleet/1'

/** One host's report, named by the file it came from (host-a.json -> host-a). */
export interface NamedReport {
  name: string
  file: string
  report: DoctorReport
}

export interface FleetHost {
  name: string
  file: string
  hostname?: string
  kernel?: string
  generatedAt: string
  target: Target
  summary: Record<Status, number>
  /** No check fails on this host. */
  ready: boolean
  firstBreak: FirstBreak | null
}

/** One check across the fleet: its status on each host (absent: that host's c1m did not have it). */
export interface FleetCheck {
  id: string
  area: Area
  title: string
  statuses: Record<string, Status | 'absent'>
}

export interface FleetBreak extends FirstBreak {
  host: string
}

export interface FleetReport {
  schema: typeof FLEET_SCHEMA
  generatedAt: string
  hosts: FleetHost[]
  checks: FleetCheck[]
  /** The host that stops first: a FAIL before a WARN, then the fewest connections. */
  firstBreak: FleetBreak | null
  summary: {hosts: number; ready: number; notReady: string[]}
}

const RANK: Record<Status, number> = {fail: 0, warn: 1, skip: 2, pass: 3}

/**
 * Which host's first break comes first: FAIL before WARN, then the lowest breaksAt (one without a
 * count last).
 */
export function fleetFirstBreak(hosts: FleetHost[]): FleetBreak | null {
  const breaks = hosts.filter((h) => h.firstBreak).map((h) => ({host: h.name, ...h.firstBreak!}))
  breaks.sort((a, b) => RANK[a.status] - RANK[b.status] || (a.breaksAt ?? Number.POSITIVE_INFINITY) - (b.breaksAt ?? Number.POSITIVE_INFINITY))
  return breaks[0] ?? null
}

export function mergeDoctorReports(inputs: NamedReport[], now = new Date()): FleetReport {
  const hosts: FleetHost[] = inputs.map(({name, file, report}) => ({
    name,
    file,
    hostname: report.host.hostname,
    kernel: report.host.kernel,
    generatedAt: report.generatedAt,
    target: report.target,
    summary: report.summary,
    ready: report.summary.fail === 0,
    firstBreak: report.firstBreak,
  }))
  // One pass over each host's results, indexed by id (a lookup per check and host was quadratic: 137 s for
  // one file of 200,000 results). The first result of an id on a host is its status there.
  const checks = new Map<string, FleetCheck>()
  const byHost = inputs.map(({report}) => {
    const statuses = new Map<string, Status>()
    for (const r of report.results) {
      if (!checks.has(r.id)) checks.set(r.id, {id: r.id, area: r.area, title: r.title, statuses: Object.create(null) as Record<string, Status | 'absent'>})
      if (!statuses.has(r.id)) statuses.set(r.id, r.status)
    }
    return statuses
  })
  for (const check of checks.values()) {
    for (const [i, {name}] of inputs.entries()) check.statuses[name] = byHost[i].get(check.id) ?? 'absent'
  }
  return {
    schema: FLEET_SCHEMA,
    generatedAt: now.toISOString(),
    hosts,
    checks: [...checks.values()],
    firstBreak: fleetFirstBreak(hosts),
    summary: {hosts: hosts.length, ready: hosts.filter((h) => h.ready).length, notReady: hosts.filter((h) => !h.ready).map((h) => h.name)},
  }
}

/** --fail-on over the fleet: 1 when any host has a result at or above the level. */
export function fleetExit(fleet: FleetReport, level: 'warn' | 'fail' | 'none'): 0 | 1 {
  if (level === 'none') return 0
  const worst = level === 'warn' ? 1 : 0
  return fleet.hosts.some((h) => h.summary.fail > 0 || (worst === 1 && h.summary.warn > 0)) ? 1 : 0
}
