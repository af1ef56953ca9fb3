import {Flags} from '@oclif/core'

import {C1mCommand} from '../base.js'
import {ALL_CHECKS} from '../core/checks/index.js'
import {profileChecks} from '../core/checks/profile.js'
import {type DoctorReport, failOnExit, runDoctor} from '../core/evaluate.js'
import {C1mError, usageError} from '../errors.js'
import {connsFlag, roleFlag, rootFlag} from '../flags.js'
import {readProfile} from '../host/profile-files.js'
import {addProfileSysctls} from '../host/profile-sysctls.js'
import {readHost} from '../host/read-host.js'
import {hostPath, hostRoot} from '../host/root.js'
import {existsSync} from 'node:fs'
import {renderDoctorJunit} from '../reports/doctor-junit.js'
import {renderDoctorMarkdown} from '../reports/doctor-markdown.js'
import {renderDoctorTable} from '../reports/doctor-table.js'

export default class Doctor extends C1mCommand {
  static override description = `Audit this host for N concurrent TCP connections: every limit on a connection's path, what breaks first, and the fix.

Reads sysctls, nofile limits (process, limits.conf, systemd), conntrack, backlogs, the ephemeral port range and local addresses, TCP memory, RAM and the kernel log. Required values are derived from --conns and --role. Exit code 1 when a finding reaches --fail-on; 2 for a usage error; 3 and up for runtime failures.`

  static override examples = [
    {description: 'Is this host ready for a million server connections?', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'A load-generating client opening 250k connections', command: '<%= config.bin %> <%= command.id %> --conns 250k --role client'},
    {description: 'Audit a running server: its nofile limits and listen backlog', command: '<%= config.bin %> <%= command.id %> --pid 1234 --unit myapp'},
    {description: 'Gate a CI pipeline on warnings, with JUnit output', command: '<%= config.bin %> <%= command.id %> --format junit --fail-on warn > doctor.xml'},
    {description: 'Audit another host from its snapshot', command: '<%= config.bin %> <%= command.id %> --root ./host-a --json'},
    {description: 'After `c1m apply --profile million`: does the host hold every value of the profile?', command: '<%= config.bin %> <%= command.id %> --profile million'},
  ]

  static override flags = {
    conns: connsFlag({default: 1_000_000}),
    role: roleFlag({default: 'server'}),
    pid: Flags.integer({description: "audit this running process's nofile limits and listening backlog instead of c1m's own", min: 1}),
    unit: Flags.string({description: "check this systemd service's LimitNOFILE", helpValue: 'NAME'}),
    root: rootFlag,
    format: Flags.string({char: 'f', description: 'output format (use --json for JSON)', options: ['table', 'junit', 'markdown'], default: 'table'}),
    'fail-on': Flags.string({description: 'exit 1 when a finding reaches this level', options: ['warn', 'fail', 'none'], default: 'none'}),
    skip: Flags.string({description: 'waive a check by ID (repeatable)', multiple: true, helpValue: 'ID'}),
    profile: Flags.string({char: 'p', description: 'also check every value of this tuning profile (see `c1m profiles`)', helpValue: 'NAME'}),
  }

  async run(): Promise<DoctorReport> {
    const {flags} = await this.parse(Doctor)
    const root = hostRoot(flags.root)
    const known = new Set(ALL_CHECKS.map((c) => c.id))
    for (const id of flags.skip ?? []) {
      if (!known.has(id)) throw usageError(`--skip ${id} is not a check ID`, 'the IDs are in the second column of `c1m doctor` and in its --json results')
    }
    if (flags.pid !== undefined && !existsSync(hostPath(root, `/proc/${flags.pid}`))) {
      throw new C1mError('E_NO_PROCESS', `--pid ${flags.pid}: no such process${root.live ? '' : ` in ${root.dir}`}`, 'pass the PID of a running server (pgrep -f NAME)')
    }
    const host = await readHost(root, {pid: flags.pid, unit: flags.unit, addresses: flags.role === 'client'})
    const profile = flags.profile ? readProfile(flags.profile) : undefined
    if (profile) addProfileSysctls(root, host, profile)
    const report = runDoctor(host, {conns: flags.conns, role: flags.role}, {skip: flags.skip, extraChecks: profile ? profileChecks(profile) : undefined})
    process.exitCode = failOnExit(report, flags['fail-on'] as 'warn' | 'fail' | 'none')
    if (!this.jsonEnabled()) {
      if (flags.format === 'junit') this.log(renderDoctorJunit(report, flags['fail-on'] as 'warn' | 'fail' | 'none'))
      else if (flags.format === 'markdown') this.log(renderDoctorMarkdown(report))
      else this.log(renderDoctorTable(report))
    }
    return report
  }
}
