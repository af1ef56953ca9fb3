import chalk from 'chalk'
import {table} from 'table'

import {C1mCommand} from '../../cli/base.js'
import {listProfileNames, readProfile} from '../../host/read/profile-files.js'

export interface ProfileSummary {
  name: string
  summary: string
  source: string
  year?: number
  includes: string[]
  values: number
}

export default class Profiles extends C1mCommand {
  static override description = 'List the tuning profiles: the sets published in the source documents, and million, computed by c1m.'

  static override examples = [
    {description: 'List them', command: '<%= config.bin %> profiles'},
    {description: 'Every value of one, with its source and what c1m would do with it here', command: '<%= config.bin %> profiles show go-1m-epoll'},
  ]

  async run(): Promise<ProfileSummary[]> {
    await this.parse(Profiles)
    const list = listProfileNames().map((name) => {
      const p = readProfile(name)
      return {name: p.name, summary: p.summary, source: p.source.file, year: p.source.year, includes: p.chain.slice(0, -1), values: p.values.length}
    })
    if (!this.jsonEnabled()) {
      const rows = list.map((p) => [p.name, p.summary, `${p.source}${p.year ? ` (${p.year})` : ''}${p.includes.length > 0 ? `\nincludes ${p.includes.join(', ')}` : ''}`, String(p.values)])
      this.log(table([['profile', 'summary', 'source', 'values'].map((h) => chalk.bold(h)), ...rows], {columns: {1: {width: 50, wrapWord: true}, 2: {width: 30, wrapWord: true}}}))
      this.log('Details: c1m profiles show NAME')
    }
    return list
  }
}
