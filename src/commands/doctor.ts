import {Flags} from '@oclif/core'
import {existsSync} from 'node:fs'

import {C1mCommand} from '../cli/base.js'
import {ALL_CHECKS} from '../core/doctor/checks/index.js'
import {type DoctorReport, failOnExit, runDoctor} from '../core/doctor/run-doctor.js'
import {C1mError, usageError} from '../core/errors.js'
import type {FleetReport} from '../core/doctor/fleet.js'
import {connsFlag, hostFamilyFlag, outFlag, roleFlag, rootFlag} from '../cli/flags.js'
import {readHost} from '../host/read/read-host.js'
import {isKernelThread} from '../host/read/process-stat.js'
import {resolveDoctorOutFiles, writeOutputFile} from '../host/files/output-file.js'
import {hostPath, hostTree} from '../host/files/root.js'
import {userExists} from '../host/read/user-exists.js'
import {isUserName} from '../core/profile/user-name.js'
import type {DoctorOutFiles} from '../core/out-files.js'
import {renderDoctorTable} from '../reports/doctor-table.js'

export default class Doctor extends C1mCommand {
  static override description = `Audit this host for N concurrent TCP connections: every limit on a connection's path, what breaks first, and the fix.

Reads sysctls, nofile limits (process, limits.conf, systemd), conntrack, backlogs, the ephemeral port range and local addresses, TCP memory, RAM and the kernel log. Required values are derived from --conns and --role. Exit code 1 when a finding reaches --fail-on (default fail: any FAIL exits 1; --fail-on none always exits 0); 2 for a usage error; 3 and up for runtime failures.`

  static override examples = [
    {description: 'Is this host ready for a million server connections?', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'A load-generating client opening 250k connections', command: '<%= config.bin %> <%= command.id %> --conns 250k --role client'},
    {description: 'A client opening a million IPv6 connections: one prefix for its sources, the neighbour table', command: '<%= config.bin %> <%= command.id %> --role client --family 6'},
    {description: 'Audit a running server: its nofile limits and listen backlog', command: '<%= config.bin %> <%= command.id %> --pid 1234 --unit myapp'},
    {description: 'Gate a CI pipeline on warnings, with JUnit output', command: '<%= config.bin %> <%= command.id %> --format junit --fail-on warn > doctor.xml'},
    {description: 'Audit another host from its snapshot', command: '<%= config.bin %> <%= command.id %> --root ./host-a --json'},
    {description: 'After `c1m apply --profile million`: does the host hold every value of the profile?', command: '<%= config.bin %> <%= command.id %> --profile million'},
    {description: 'After `c1m apply --profile million --user app`: the same, with the limits.d lines of user app', command: '<%= config.bin %> <%= command.id %> --profile million --user app'},
    {description: "Metrics for node_exporter's textfile collector, written whole", command: '<%= config.bin %> <%= command.id %> --fail-on none --out /var/lib/prometheus/node-exporter/c1m.prom'},
    {description: 'One table for a fleet, from each host\'s `doctor --json` output', command: '<%= config.bin %> <%= command.id %> --merge host-a.json host-b.json host-c.json'},
  ]

  // Written out: --merge excludes the host flags, which oclif's one generated line would show as one
  // either-or group (--pid | --unit | ...) though --pid and --unit go together. A test holds every flag here.
  static override usage = [
    '<%= command.id %> [--conns N] [--role ROLE] [--family 4|6] [--pid PID] [--unit NAME] [--root DIR] [--profile NAME] [--user NAME] [--skip ID...] [--format FORMAT] [--fail-on LEVEL] [--out FILE...] [--json] [--no-color]',
    '<%= command.id %> --merge FILE... [--format FORMAT] [--fail-on LEVEL] [--out FILE...] [--json] [--no-color]',
  ]

  static override flags = {
    conns: connsFlag({default: 1_000_000}),
    role: roleFlag({default: 'server'}),
    family: hostFamilyFlag(),
    pid: Flags.integer({description: "audit this running process's nofile limits and listening backlog instead of c1m's own", min: 1, helpValue: 'PID'}),
    unit: Flags.string({description: "check this systemd service's LimitNOFILE", helpValue: 'NAME'}),
    user: Flags.string({description: "check this user's nofile lines in limits.conf and limits.d (as `c1m apply --user NAME` writes them) instead of *", helpValue: 'NAME'}),
    root: rootFlag,
    format: Flags.option({char: 'f', description: 'output format (use --json for JSON)', options: ['table', 'junit', 'markdown', 'prometheus'] as const, default: 'table', helpValue: 'FORMAT'})(),
    'fail-on': Flags.option({description: 'exit 1 when a finding reaches this level (none: always exit 0)', options: ['warn', 'fail', 'none'] as const, default: 'fail', helpValue: 'LEVEL'})(),
    skip: Flags.string({description: 'waive a check by ID (repeatable)', multiple: true, helpValue: 'ID'}),
    profile: Flags.string({char: 'p', description: 'also check every value of this tuning profile (see `c1m profiles`)', helpValue: 'NAME'}),
    out: outFlag('also write the result to FILE, whole (a temporary file renamed into place); the extension picks the format: .json, .prom (Prometheus), .xml (JUnit), .md; repeatable'),
    merge: Flags.string({
      description: "merge the doctor JSON reports of many hosts (one file per host, named after it) into one table; reads no host",
      helpValue: 'FILE',
      multiple: true,
      exclusive: ['pid', 'unit', 'user', 'root', 'profile', 'skip'],
    }),
  }

  async run(): Promise<DoctorReport | FleetReport> {
    const {flags} = await this.parse(Doctor)
    const failOn = flags['fail-on']
    const outs = resolveDoctorOutFiles(flags.out)
    if (flags.merge) return this.merge(flags.merge, failOn, flags.format, outs)
    const root = hostTree(flags.root)
    const known = new Set(ALL_CHECKS.map((c) => c.id))
    for (const id of flags.skip ?? []) {
      if (!known.has(id)) throw usageError(`--skip ${id} is not a check ID`, 'the IDs are in the second column of `c1m doctor` and in its --json results')
    }
    if (flags.user !== undefined && !isUserName(flags.user)) throw usageError(`--user ${JSON.stringify(flags.user)} is not a user name`, 'pass a login name from /etc/passwd (letters, digits, _ . -)')
    if (flags.user !== undefined && !userExists(root, flags.user)) {
      throw usageError(`--user ${flags.user} does not exist ${root.live ? 'on this host' : `in ${root.dir}/etc/passwd`}`, 'pass the user your service runs as')
    }
    if (flags.pid !== undefined && !existsSync(hostPath(root, `/proc/${flags.pid}`))) {
      throw new C1mError('E_NO_PROCESS', `--pid ${flags.pid}: no such process${root.live ? '' : ` in ${root.dir}`}`, 'pass the PID of a running server (pgrep -f NAME)')
    }
    if (flags.pid !== undefined && isKernelThread(root, flags.pid)) {
      throw usageError(`PID ${flags.pid} is a kernel thread; pass the PID of your server`, 'find it with pgrep -f NAME or ss -ltnp')
    }
    // Profile code (YAML parser, planner) loads only when --profile is given: doctor starts fast.
    const profiled = flags.profile ? await loadProfileChecks(flags.profile) : undefined
    const host = await readHost(root, {pid: flags.pid, unit: flags.unit, addresses: flags.role === 'client', sysctls: profiled?.sysctls, user: flags.user})
    const report = runDoctor(host, {conns: flags.conns, role: flags.role, family: flags.family}, {skip: flags.skip, extraChecks: profiled?.checks})
    process.exitCode = failOnExit(report, failOn)
    if (!this.jsonEnabled()) this.log(await this.render(report, flags.format, failOn))
    for (const [format, file] of Object.entries(outs)) {
      const text = format === 'json' ? JSON.stringify(this.stamp(report), null, 2) + '\n' : await this.render(report, format, failOn)
      writeOutputFile(file, text.endsWith('\n') ? text : text + '\n', '--out')
    }
    return report
  }

  private async render(report: DoctorReport, format: string, failOn: 'warn' | 'fail' | 'none'): Promise<string> {
    if (format === 'junit') return (await import('../reports/doctor-junit.js')).renderDoctorJunit(report, failOn, this.config.version)
    if (format === 'markdown') return (await import('../reports/doctor-markdown.js')).renderDoctorMarkdown(report)
    if (format === 'prometheus') return (await import('../reports/doctor-prometheus.js')).renderDoctorPrometheus(report, this.config.version).trimEnd()
    return renderDoctorTable(report)
  }

  /** --merge: many hosts' reports as one fleet result; exit 1 when a host reaches --fail-on. */
  private async merge(files: string[], failOn: 'warn' | 'fail' | 'none', format: string, outs: DoctorOutFiles): Promise<FleetReport> {
    if (format !== 'table') throw usageError(`--merge prints a table or, with --json, JSON; --format ${format} is for one host`, 'drop --format, or run doctor on each host for its own format')
    const other = Object.keys(outs).find((f) => f !== 'json')
    if (other) throw usageError(`--merge writes JSON only; --out ${outs[other as keyof DoctorOutFiles]} asks for ${other}`, 'name the --out file with .json')
    const [{readDoctorReports}, {mergeDoctorReports, fleetExit}, {renderFleetTable}] = await Promise.all([
      import('../host/files/doctor-reports.js'),
      import('../core/doctor/fleet.js'),
      import('../reports/fleet-table.js'),
    ])
    const fleet = mergeDoctorReports(readDoctorReports(files))
    process.exitCode = fleetExit(fleet, failOn)
    if (!this.jsonEnabled()) this.log(renderFleetTable(fleet))
    if (outs.json) writeOutputFile(outs.json, JSON.stringify(this.stamp(fleet), null, 2) + '\n', '--out')
    return fleet
  }
}

async function loadProfileChecks(name: string) {
  const [{profileChecks}, {readProfile}, {profileSysctlKeys}] = await Promise.all([
    import('../core/doctor/checks/profile.js'),
    import('../host/read/profile-files.js'),
    import('../core/profile/plan-facts.js'),
  ])
  const profile = readProfile(name)
  return {checks: profileChecks(profile), sysctls: profileSysctlKeys(profile.values)}
}
