import {createInterface} from 'node:readline/promises'

import {parseUnitName, unitDropInFile} from '../core/profile/systemd-unit.js'
import {isUserName} from '../core/profile/user-name.js'
import {userExists} from '../host/read/user-exists.js'
import {Flags} from '@oclif/core'

import {C1mCommand} from '../cli/base.js'
import type {Family, Role} from '../core/needs.js'
import {C1mError, usageError} from '../core/errors.js'
import {connsFlag, hostFamilyFlag, roleFlag, rootFlag} from '../cli/flags.js'
import {isIfaceName, isNetnsName} from '../core/host-names.js'
import {statePath} from '../host/apply/apply-state.js'
import {preflightApply} from '../host/apply/apply-preflight.js'
import {runApply} from '../host/apply/apply-transaction.js'
import {sweepFinishedRecord} from '../host/apply/undo-changes.js'
import {netnsIdentity, requireNetns} from '../host/netns.js'
import {claimNetns, releaseNetns} from '../host/apply/netns-claim.js'
import {rootDir} from '../host/files/safe-path.js'
import {planProfile, profileSysctlKeys} from '../core/profile/plan-facts.js'
import {readPlanInput} from '../host/read/read-plan-input.js'
import {readProfile} from '../host/read/profile-files.js'
import {hostRoot} from '../host/files/root.js'
import {nofileCapNote} from '../host/read/limits.js'
import {takeTarget} from '../host/apply/take-target.js'
import {renderPlanTable, summarisePlan} from '../reports/plan-table.js'
import {formatCount} from '../core/units.js'
import {CHANGES, type PlanRow} from '../core/profile/plan-rows.js'

export interface ApplyResult {
  profile: string
  conns: number
  role: Role
  family: Family
  root: string
  netns?: string
  dryRun: boolean
  applied: boolean
  plan: PlanRow[]
  /** Changes made (live values, files, addresses), when applied. */
  changes: number
  stateFile?: string
}

export default class Apply extends C1mCommand {
  static override description = `Apply a tuning profile: plan first, then live (/proc/sys) and persistent (sysctl.d, limits.d, systemd), with a way back.

The plan shows every value: the current one, the wanted one, and the action - raise, keep (already higher: apply only raises), set (a setting, not a capacity), lower (only with --allow-lower) or skip (a key this kernel no longer has, an old name, a tcp_mem typed in bytes, a key outside --netns) - and why. Every change is recorded in /var/lib/c1m/state.json; if a step fails, what was changed is rolled back. One apply or revert runs on a target at a time (exit 9 names the one running). \`c1m revert\` undoes the last apply.`

  static override examples = [
    {description: 'See what the million profile would change for 1M server connections', command: '<%= config.bin %> apply --profile million --dry-run'},
    {description: 'Apply it without asking', command: '<%= config.bin %> apply --profile million --conns 1M --yes'},
    {description: 'A load-generating client: add the source addresses 1M connections need', command: '<%= config.bin %> apply --profile million --role client --iface eth0 --addresses 10.0.0.0/24 --yes'},
    {description: 'An IPv6 client: the million profile with its IPv6 keys (ip_nonlocal_bind, neighbour table)', command: '<%= config.bin %> apply --profile million --role client --family 6 --yes'},
    {description: 'Apply into a sandbox tree (DIR/proc/sys, DIR/etc) for an image build or a test', command: '<%= config.bin %> apply --profile go-1m-epoll --root ./image --yes'},
    {description: 'Apply the per-namespace keys inside a network namespace', command: '<%= config.bin %> apply --profile million --netns test1 --yes'},
  ]

  // Written out: --unit and --systemd-default exclude each other and --iface needs --addresses (checked in
  // run() with c1m's own messages), which oclif's generated line cannot show. A test holds every flag here.
  static override usage = [
    '<%= command.id %> --profile NAME [--conns N] [--role ROLE] [--family 4|6] [--dry-run] [--yes] [--allow-lower] [--persist-only] [--root DIR] [--netns NAME] [--iface IF --addresses CIDR] [--unit NAME | --systemd-default] [--user NAME] [--json] [--no-color]',
  ]

  static override flags = {
    profile: Flags.string({char: 'p', helpValue: 'NAME', description: 'profile name (see `c1m profiles`) or path to a profile file', required: true}),
    conns: connsFlag({default: 1_000_000}),
    role: roleFlag({default: 'server'}),
    family: hostFamilyFlag(),
    'allow-lower': Flags.boolean({description: 'also lower values that are already higher than the profile (default: only raise)'}),
    'dry-run': Flags.boolean({description: 'print the plan and stop'}),
    yes: Flags.boolean({char: 'y', description: 'apply without asking'}),
    'persist-only': Flags.boolean({description: 'write the files only, not /proc/sys (a container with a read-only /proc/sys)'}),
    root: {...rootFlag, description: 'apply to a sandbox tree instead of this host (DIR/proc/sys, DIR/etc, DIR/var/lib/c1m); with --netns, only where the record for revert is kept'},
    netns: Flags.string({helpValue: 'NAME', description: 'apply the per-namespace net.* keys inside this network namespace; global keys are left alone'}),
    iface: Flags.string({helpValue: 'IF', description: 'client role: interface to add the source addresses to'}),
    unit: Flags.string({helpValue: 'NAME', description: "write LimitNOFILE in a drop-in for this systemd service (/etc/systemd/system/NAME.service.d/90-c1m.conf)"}),
    user: Flags.string({helpValue: 'NAME', description: "write the limits.d nofile lines for this user (your service's) instead of * (every login session)"}),
    'systemd-default': Flags.boolean({description: "write DefaultLimitNOFILE for every service (/etc/systemd/system.conf.d/90-c1m.conf) instead of one service's drop-in"}),
    addresses: Flags.string({helpValue: 'CIDR', description: 'client role: IPv4 block to take the source addresses from, such as 10.0.0.0/24'}),
  }

  async run(): Promise<ApplyResult> {
    const {flags} = await this.parse(Apply)
    const conns = flags.conns
    const role: Role = flags.role
    if (Boolean(flags.iface) !== Boolean(flags.addresses)) throw usageError('--iface and --addresses go together', 'pass both, or neither')
    if (flags.netns !== undefined && !isNetnsName(flags.netns)) {
      throw usageError(`--netns ${JSON.stringify(flags.netns)} is not a namespace name`, 'pass the name of a namespace from `ip netns list` (letters, digits, _ . -)')
    }
    if (flags.iface !== undefined && !isIfaceName(flags.iface)) throw usageError(`--iface ${JSON.stringify(flags.iface)} is not an interface name`, 'list the interfaces with `ip link`')
    const unit = flags.unit === undefined ? undefined : parseUnitName(flags.unit)
    if (flags.unit !== undefined && unit === undefined) {
      throw usageError(`--unit ${JSON.stringify(flags.unit)} is not a systemd service name`, 'pass the service name as `systemctl list-units --type=service` shows it (letters, digits, _ . @ : -)')
    }
    if (flags.user !== undefined && !isUserName(flags.user)) throw usageError(`--user ${JSON.stringify(flags.user)} is not a user name`, 'pass a login name from /etc/passwd (letters, digits, _ . -)')
    if (unit && flags['systemd-default']) throw usageError('--unit and --systemd-default write different drop-ins', 'use one or the other')
    if (flags.netns && flags['persist-only']) throw usageError('--persist-only writes files and --netns writes none', 'use one or the other')
    const root = hostRoot(flags.root)
    if (flags.user !== undefined && !userExists(root, flags.user)) {
      throw usageError(`--user ${flags.user} does not exist ${root.live ? 'on this host' : `in ${root.dir}/etc/passwd`}`, 'create the user first, or pass the user your service runs as')
    }
    const isRoot = process.getuid?.() === 0
    if (flags.netns) {
      if (!isRoot) throw new C1mError('E_NOT_ROOT', `--netns ${flags.netns} needs root (ip netns exec)`, 'run it with sudo')
      requireNetns(flags.netns)
    }
    // In a namespace the values live in the namespace and the host's RAM and kernel size them;
    // --root then only says where the record is kept.
    const profile = readProfile(flags.profile)
    const input = await readPlanInput(flags.netns ? hostRoot('/') : root, profileSysctlKeys(profile.values), {netns: flags.netns, iface: flags.iface, cidr: flags.addresses, unit})
    const {rows, overrides} = planProfile(profile, input, {conns, role, family: flags.family, allowLower: flags['allow-lower'], unit, systemdDefault: flags['systemd-default'], user: flags.user})
    for (const o of overrides) this.note(o)
    // A container's capped hard nofile: the limits.d lines cannot lift it, and logging in again will not.
    const capped = flags.netns ? undefined : nofileCapNote(root, rows)
    if (capped) this.note(capped)
    const where = flags.netns ? `network namespace ${flags.netns}` : root.live ? 'this host' : root.dir
    if (!this.jsonEnabled()) {
      this.log(`Plan: profile ${profile.name} for ${formatCount(conns)} ${flags.family === 6 ? 'IPv6 ' : ''}connections, role ${role}, on ${where}`)
      this.log(renderPlanTable(rows))
      this.log(summarisePlan(rows))
      const global = rows.filter((r) => r.code === 'netns').map((r) => (r.kind === 'sysctl' ? r.key : r.id))
      if (global.length > 0) this.log(`Left alone, not per namespace (set them on the host): ${global.join(', ')}`)
    }
    const result: ApplyResult = {profile: profile.name, conns, role, family: flags.family, root: root.dir, netns: flags.netns, dryRun: flags['dry-run'], applied: false, plan: rows, changes: 0}
    if (flags['dry-run']) return result
    const changing = rows.filter((r) => CHANGES.includes(r.action))
    if (changing.length === 0) {
      if (!this.jsonEnabled()) this.log('Nothing to change.')
      return result
    }

    // Preflight: nothing has changed yet.
    if ((root.live || flags.netns) && !isRoot) {
      throw new C1mError('E_NOT_ROOT', `apply changes ${where} and needs root; nothing was changed`, 'run it with sudo, or use --dry-run to see the plan')
    }
    const liveKeys = flags['persist-only'] || flags.netns ? [] : changing.filter((r) => r.kind === 'sysctl').map((r) => r.key)
    const lock = await takeTarget(root, `c1m ${process.argv.slice(2).join(' ')}`, liveKeys, (line) => this.note(line), unit ? [unitDropInFile(unit)] : [])
    let state
    try {
      sweepFinishedRecord(root, (line) => this.note(line))
      preflightApply(root, liveKeys)
      if (!flags.yes) await this.confirm(changing.length, where)
      const netnsId = flags.netns ? netnsIdentity(flags.netns) : undefined
      if (flags.netns && !netnsId) throw usageError(`network namespace ${flags.netns} went away before apply began; nothing was changed`, `create it with \`ip netns add ${flags.netns}\``)
      if (flags.netns) claimNetns(flags.netns, rootDir(root), netnsId!)
      state = await runApply(root, rows, {
        profile: profile.name,
        conns,
        role,
        netns: flags.netns,
        netnsId,
        persistOnly: flags['persist-only'],
        iface: flags.iface,
        progress: (line) => this.logToStderr(line),
        recorded: () => lock.announce(),
      })
    } catch (error) {
      // A failed apply that rolled back has no record left, and then no claim on the namespace.
      if (flags.netns) releaseNetns(flags.netns, rootDir(root))
      throw error
    } finally {
      lock.release()
    }
    result.applied = true
    result.changes = state.changes.filter((c) => c.kind !== 'dir').length
    result.stateFile = statePath(root)
    if (!this.jsonEnabled()) {
      this.log(`Applied ${result.changes} change(s) to ${where}; recorded in ${result.stateFile}. Undo with: c1m revert${root.live ? '' : ` --root ${flags.root}`}`)
      if (flags.netns) this.log(`Only the namespace's own keys were set; global keys, limits and systemd were left alone.`)
      const unitRow = changing.find((r) => r.kind === 'systemd')
      if (unitRow?.unit) this.log(`Run \`systemctl daemon-reload\`, then restart ${unitRow.unit}.service for its new LimitNOFILE.`)
      else if (unitRow) this.log('systemd reads DefaultLimitNOFILE at start: run `systemctl daemon-reexec` (or reboot), then restart the service.')
      if (changing.some((r) => r.kind === 'nofile')) this.log(capped ? 'limits.d applies to new login sessions (ssh, su), but only up to the hard nofile cap warned of above: logging in again does not lift it.' : 'limits.d applies to new login sessions (ssh, su); log in again.')
    }
    return result
  }

  private async confirm(count: number, where: string): Promise<void> {
    if (!process.stdin.isTTY) {
      throw usageError(`apply would make ${count} change(s) to ${where} and stdin is not a terminal to ask`, 'pass --yes to apply, or --dry-run to see the plan only')
    }
    const rl = createInterface({input: process.stdin, output: process.stderr})
    try {
      const answer = await rl.question(`Apply ${count} change(s) to ${where}? [y/N] `)
      if (!/^y(es)?$/i.test(answer.trim())) throw new C1mError('E_INTERRUPTED', 'not applied: the answer was no; nothing was changed')
    } finally {
      rl.close()
    }
  }
}
