import {Flags} from '@oclif/core'

import {ROLES, type Role} from './core/needs.js'
import {parseCount} from './core/units.js'

/** Flags several commands share, defined once. */
export const connsFlag = Flags.custom<number>({
  char: 'n',
  description: 'target number of concurrent connections (1e6, 1M, 250k, 1000000)',
  helpValue: 'N',
  parse: async (input) => parseCount(input, 'conns'),
})

export const roleFlag = Flags.custom<Role>({
  char: 'r',
  description: 'server accepts the connections; client opens them; loopback holds both ends on this host',
  options: ROLES,
  helpValue: 'ROLE',
})

export const rootFlag = Flags.string({
  description: 'audit or change a saved host tree (from `c1m snapshot DIR`) instead of /',
  helpValue: 'DIR',
  default: '/',
})

/** --out FILE on probe and estimate: the extension picks the format (src/out-files.ts); repeatable. */
export function outFlag(description = 'write the report to FILE: .json for the JSON document (as --json prints its result), .html for a self-contained HTML page; give it twice for both') {
  return Flags.string({char: 'o', description, helpValue: 'FILE', multiple: true, multipleNonGreedy: true})
}
