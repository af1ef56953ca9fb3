import type {Command, Config} from '@oclif/core'
import levenshtein from 'fast-levenshtein'

import {C1mError} from '../core/errors.js'
import {parseCount} from '../core/units.js'

/** First arguments that mean "print the version", as in git, node and npm; oclif knows only --version. */
const VERSION_WORDS = new Set(['--version', '-v', 'version'])
/** First arguments that mean "print the help"; oclif knows only --help (and `help`). */
const HELP_WORDS = new Set(['--help', '-h'])

/**
 * The arguments as oclif should see them: `c1m -v` and `c1m version` are `c1m --version` (anything after
 * the word is ignored, as oclif ignores it after --version), `c1m -h` is `c1m --help`.
 */
export function aliasArgv(argv: string[]): string[] {
  if (argv[0] !== undefined && VERSION_WORDS.has(argv[0])) return ['--version']
  if (argv[0] !== undefined && HELP_WORDS.has(argv[0])) return ['--help', ...argv.slice(1)]
  return argv
}

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

/** What was typed that is not a command: the error, and whether a terminal may be offered the nearest one. */
export interface UnknownCommand {
  error: C1mError
  /** Only a mistyped command word is offered on a terminal; extra arguments to a known command never. */
  offer: boolean
}

/** A command that takes positional arguments, or any: nothing after its ID can be part of a command ID. */
function takesArgs(command: Command.Loadable | undefined): boolean {
  return Boolean(command && (command.strict === false || Object.keys(command.args ?? {}).length > 0))
}

/** The words oclif reads as the command ID (as its normalizeArgv collects them with a space separator). */
function commandWords(config: Config, argv: string[]): string[] {
  const usable = new Set(config.commandIDs.flatMap((id) => id.split(':').map((_, i, parts) => parts.slice(0, i + 1).join(':'))))
  const words: string[] = []
  for (const arg of argv) {
    if (usable.has([...words, arg].join(':'))) words.push(arg)
    else if (arg.startsWith('-') || arg.includes('=') || takesArgs(config.findCommand(words.join(':')))) break
    else words.push(arg)
  }
  return words
}

const spaced = (id: string) => id.replaceAll(':', ' ')

/**
 * The usage error for a command line whose words name no command or topic, or undefined: an unknown
 * command (`c1m doctr`), an unknown subcommand (`c1m profiles shwo`), an argument to a command that takes
 * none (`c1m estimate 1M`), an unknown first flag (`c1m --conns 1M`). oclif would answer these with
 * @oclif/plugin-not-found's two lines and exit 127; c1m answers with its own one line, exit 2.
 */
export function findUnknownCommand(config: Config, argv: string[]): UnknownCommand | undefined {
  const typed = argv[0]
  if (typed === undefined || VERSION_WORDS.has(typed) || HELP_WORDS.has(typed)) return undefined
  if (typed.startsWith('-')) {
    return {error: new C1mError('E_USAGE', `${typed} is not a c1m command; the command comes first, then its flags (c1m COMMAND ${typed})`, 'c1m help lists the commands'), offer: false}
  }
  const words = commandWords(config, argv)
  const id = words.join(':')
  if (config.findCommand(id) || config.findTopic(id)) return undefined
  const visible = config.commands.filter((c) => !c.hidden).map((c) => c.id)
  // The longest leading words that name a command or a topic: what comes after them is what is wrong.
  let known = words.length - 1
  while (known > 0 && !config.findCommand(words.slice(0, known).join(':')) && !config.findTopic(words.slice(0, known).join(':'))) known--
  const prefix = words.slice(0, known).join(':')
  const under = visible.filter((c) => c.startsWith(`${prefix}:`))
  const command = known > 0 ? config.findCommand(prefix) : undefined
  if (command && under.length === 0) return {error: extraArguments(command, words.slice(known)), offer: false}
  const candidates = known > 0 ? under : visible
  const closest = closestCommand(id, candidates)
  const hint = closest ? ` (did you mean c1m ${spaced(closest)}?)` : ''
  const help = known > 0 ? `c1m help ${spaced(prefix)} lists its commands` : 'c1m help lists the commands'
  return {error: new C1mError('E_USAGE', `${spaced(id)} is not a c1m command${hint}`, help), offer: known === 0}
}

/** `c1m estimate 1M`: the command takes no arguments; a count is what --conns takes. */
function extraArguments(command: Command.Loadable, extra: string[]): C1mError {
  const name = spaced(command.id)
  const given = extra.join(' ')
  const what = `${name} takes no arguments, got "${given}"`
  let count: number | undefined
  try {
    count = extra.length === 1 && command.flags.conns ? parseCount(extra[0], 'conns') : undefined
  } catch {
    count = undefined
  }
  if (count !== undefined) return new C1mError('E_USAGE', `${what} (did you mean c1m ${name} --conns ${extra[0]}?)`, `see c1m ${name} --help`)
  return new C1mError('E_USAGE', what, `see c1m ${name} --help`)
}
