import {Args} from '@oclif/core'

import {C1mCommand} from '../../cli/base.js'
import type {Role} from '../../core/needs.js'
import {connsFlag, roleFlag, rootFlag} from '../../cli/flags.js'
import {planProfile, profileSysctlKeys} from '../../core/profile/plan-facts.js'
import {readPlanInput} from '../../host/read/read-plan-input.js'
import {readProfile} from '../../host/read/profile-files.js'
import {hostRoot} from '../../host/files/root.js'
import {renderProfileTable} from '../../reports/plan-table.js'
import {formatCount} from '../../core/units.js'
import type {PlanRow} from '../../core/profile/plan-rows.js'

export interface ProfileShowResult {
  name: string
  summary: string
  source: {file: string; title?: string; year?: number}
  chain: string[]
  conns: number
  role: Role
  values: PlanRow[]
}

export default class ProfilesShow extends C1mCommand {
  static override args = {
    name: Args.string({description: 'Profile name (see `c1m profiles`) or path to a profile file', required: true}),
  }

  static override description = `Print every value of a profile with its source (document, section, profile line) and what c1m will do with it on this kernel.

Computed values (the million profile) are worked out for --conns and --role and this host's RAM; the formula is printed beside each.`

  static override examples = [
    {description: 'The Go article\'s settings and what c1m makes of them here', command: '<%= config.bin %> profiles show go-1m-epoll'},
    {description: 'million for a 2M-connection load client', command: '<%= config.bin %> profiles show million --conns 2M --role client'},
  ]

  static override flags = {
    conns: connsFlag({default: 1_000_000}),
    role: roleFlag({default: 'server'}),
    root: rootFlag,
  }

  async run(): Promise<ProfileShowResult> {
    const {args, flags} = await this.parse(ProfilesShow)
    const conns = flags.conns
    const role: Role = flags.role
    const profile = readProfile(args.name)
    const input = await readPlanInput(hostRoot(flags.root), profileSysctlKeys(profile.values))
    const {rows} = planProfile(profile, input, {conns, role, allowLower: false})
    if (!this.jsonEnabled()) {
      const year = profile.source.year ? ` (${profile.source.year})` : ''
      this.log(`${profile.name}: ${profile.summary}`)
      this.log(`source: ${profile.source.file}${profile.source.title ? ` - ${profile.source.title}` : ''}${year}`)
      if (profile.chain.length > 1) this.log(`merged: ${profile.chain.join(' <- ')} (later wins)`)
      this.log(`for ${formatCount(conns)} connections, role ${role}`)
      this.log(renderProfileTable(rows))
    }
    return {name: profile.name, summary: profile.summary, source: profile.source, chain: profile.chain, conns, role, values: rows}
  }
}
