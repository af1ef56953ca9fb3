import {Command, Errors, Flags} from '@oclif/core'
import chalk from 'chalk'

import {type Envelope, errorEnvelope, formatErrorLine} from './error-output.js'
import {C1mError, EXIT_CODES} from '../core/errors.js'
import {schemaFor, stampResult} from './stamp-result.js'

export type {Envelope} from './error-output.js'

/** NO_COLOR (https://no-color.org: set and not empty) or --no-color: no ANSI colours at all. */
export function colourOff(argv: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || argv.includes('--no-color')
}

/**
 * Every c1m command extends this. It owns the JSON envelope, the warnings list and
 * error output: one line naming what is wrong and what to do, and the exit code from
 * the one table in errors.ts.
 */
export abstract class C1mCommand extends Command {
  static override baseFlags = {
    'no-color': Flags.boolean({description: 'print no ANSI colours (as NO_COLOR=1 does)', helpGroup: 'GLOBAL'}),
  }

  static override enableJsonFlag = true
  protected warnings: string[] = []
  /** The error of a run that still has a result to give (a probe or client that fell short). */
  private failure?: C1mError

  override async init(): Promise<void> {
    // Before any rendering: chalk decides colour from the terminal and FORCE_COLOR, not NO_COLOR.
    if (colourOff(this.argv)) chalk.level = 0
    await super.init()
  }

  /** The schema name of this command's JSON result (c1m.doctor/1); a JSON file it writes carries it too. */
  protected get schema(): string {
    return schemaFor(this.id ?? 'unknown')
  }

  /** A JSON document as this command writes it: schema and c1m version first. */
  protected stamp(result: unknown): Record<string, unknown> {
    return stampResult(result, this.schema, this.config.version)
  }

  /** A warning that shows on stderr in human mode and in the envelope under --json. */
  protected note(message: string): void {
    this.warnings.push(message)
    if (!this.jsonEnabled()) this.logToStderr(`warning: ${message}`)
  }

  /**
   * End in an error but keep the result: one c1m line on stderr (call it after the output it follows),
   * or under --json the envelope's `error` beside its `result`; the exit code is the error's.
   */
  protected failWith(error: C1mError): void {
    this.failure = error
    process.exitCode = error.exit
    if (!this.jsonEnabled()) this.logToStderr(formatErrorLine(error))
  }

  protected override toSuccessJson(result: unknown): Envelope<unknown> {
    const envelope: Envelope<unknown> = {status: Number(process.exitCode ?? 0), result: this.stamp(result), warnings: this.warnings}
    if (this.failure) envelope.error = errorEnvelope(this.failure).error
    return envelope
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // this.exit() throws an ExitError; let it pass.
    if (error instanceof Errors.ExitError) throw error
    const c1m = toC1mError(error, this.id?.replaceAll(':', ' '), this.ctor.examples)
    if (!c1m) return super.catch(error)
    process.exitCode = c1m.exit
    if (this.jsonEnabled()) this.logJson(errorEnvelope(c1m, this.warnings))
    else this.logToStderr(formatErrorLine(c1m))
    return this.exit(c1m.exit)
  }
}

/**
 * oclif wraps an error thrown while parsing a flag as "Parsing --flag \n\t<message>\nSee more help
 * with --help".
 */
function unwrapParseMessage(message: string): string {
  const match = /^Parsing --\S+\s*\n\t([\s\S]*?)\nSee more help with --help$/.exec(message)
  return match ? match[1] : message
}

/** oclif's "Missing required flag conns" in c1m's words, with an example from the command's own. */
function missingFlagsError(message: string, id: string | undefined, examples: string[]): C1mError | undefined {
  const names = [...message.matchAll(/Missing required flag (\S+)/g)].map((m) => m[1])
  if (names.length === 0) return undefined
  const sample = names.map((name) => {
    const value = examples.map((e) => new RegExp(`--${name}[ =](\\S+)`).exec(e)?.[1]).find(Boolean)
    return `--${name} ${value ?? name.toUpperCase()}`
  })
  const flags = names.map((name) => `--${name}`)
  const what = flags.length === 1 ? `${flags[0]} is required` : `${flags.slice(0, -1).join(', ')} and ${flags.at(-1)} are required`
  return new C1mError('E_USAGE', `${what}, e.g. c1m ${id ?? ''} ${sample.join(' ')}`.replace('  ', ' '))
}

function exampleCommands(examples: Command.Example[] | undefined): string[] {
  return (examples ?? []).map((e) => (typeof e === 'string' ? e : e.command))
}

function toC1mError(error: Error & {oclif?: {exit?: number}}, id: string | undefined, examples: Command.Example[] | undefined): C1mError | undefined {
  if (error instanceof C1mError) {
    error.message = unwrapParseMessage(error.message)
    return error
  }
  // oclif's own parse errors (unknown flag, value not among the options, missing value)
  if (error instanceof Errors.CLIError && error.oclif?.exit === 2) {
    const missing = missingFlagsError(error.message, id, exampleCommands(examples))
    if (missing) return missing
    // One line: oclif's message may span lines ("Missing 1 required arg:\ndir  what it is\nSee more
    // help ...").
    const lines = error.message.split('\n').map((line) => line.trim().replaceAll(/\s+/g, ' ')).filter((line) => line !== '' && !line.startsWith('See more help'))
    const message = lines.join(' ').replace(/:$/, '').replace(/^The following errors? occurred: ?/, '')
    return new C1mError('E_USAGE', message, `see c1m ${id ?? ''} --help`.replace('  ', ' '))
  }
  if ((error as NodeJS.ErrnoException).code === 'EACCES') {
    return new C1mError('E_UNREADABLE', error.message, 'run as root or check the file permissions')
  }
  return undefined
}

export {EXIT_CODES}
