import type {Config} from '@oclif/core'
import levenshtein from 'fast-levenshtein'

import {C1mError} from './core/errors.js'

/** Arguments that oclif answers itself without a command. */
const BUILT_IN = new Set(['--help', '-h', '--version', '-v', 'version'])

/** The command ID closest to what was typed, as @oclif/plugin-not-found picks it (Levenshtein distance). */
export function closestCommand(typed: string, ids: string[]): string | undefined {
  let best: string | undefined
  let distance = Number.POSITIVE_INFINITY
  for (const id of ids) {
    const d = levenshtein.get(typed, id)
    if (d < distance) [best, distance] = [id, d]
  }
  return best
}

/**
 * The usage error for a first argument that names no command or topic, or undefined. oclif
 * would otherwise hand it to @oclif/plugin-not-found, which asks "Did you mean ...?" on a
 * terminal; in a script or under --json c1m answers with its own one line (or envelope).
 */
export function findUnknownCommand(config: Config, argv: string[]): C1mError | undefined {
  const typed = argv[0]
  if (typed === undefined || typed.startsWith('-') || BUILT_IN.has(typed)) return undefined
  if (config.findCommand(typed) || config.findTopic(typed)) return undefined
  const visible = config.commands.filter((c) => !c.hidden).map((c) => c.id.replaceAll(':', ' '))
  const closest = closestCommand(typed, visible)
  return new C1mError('E_USAGE', `${typed} is not a c1m command${closest ? ` (did you mean c1m ${closest}?)` : ''}`, 'c1m help lists the commands')
}
