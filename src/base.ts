import {Command, Errors} from '@oclif/core'

import {C1mError, EXIT_CODES} from './errors.js'

/** JSON envelope printed by every command under --json. */
export interface Envelope<T> {
  status: number
  result?: T
  warnings: string[]
  error?: {code: string; message: string; suggestion?: string}
}

/**
 * Every c1m command extends this. It owns the JSON envelope, the warnings list and
 * error output: one line naming what is wrong and what to do, and the exit code from
 * the one table in errors.ts.
 */
export abstract class C1mCommand extends Command {
  static override enableJsonFlag = true
  protected warnings: string[] = []

  /** A warning that shows on stderr in human mode and in the envelope under --json. */
  protected note(message: string): void {
    this.warnings.push(message)
    if (!this.jsonEnabled()) this.logToStderr(`warning: ${message}`)
  }

  protected override toSuccessJson(result: unknown): Envelope<unknown> {
    return {status: Number(process.exitCode ?? 0), result, warnings: this.warnings}
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    // this.exit() throws an ExitError; let it pass.
    if (error instanceof Errors.ExitError) throw error
    const c1m = toC1mError(error, this.id)
    if (!c1m) return super.catch(error)
    process.exitCode = c1m.exit
    if (this.jsonEnabled()) {
      const envelope: Envelope<never> = {
        status: c1m.exit,
        warnings: this.warnings,
        error: {code: c1m.code, message: c1m.message, suggestion: c1m.suggestion},
      }
      this.logJson(envelope)
    } else {
      const fix = c1m.suggestion ? `; ${c1m.suggestion}` : ''
      this.logToStderr(`c1m: ${c1m.message}${fix} [${c1m.code}, exit ${c1m.exit}]`)
    }
    return this.exit(c1m.exit)
  }
}

/** oclif wraps an error thrown while parsing a flag as "Parsing --flag \n\t<message>\nSee more help with --help". */
function unwrapParseMessage(message: string): string {
  const match = /^Parsing --\S+\s*\n\t([\s\S]*?)\nSee more help with --help$/.exec(message)
  return match ? match[1] : message
}

function toC1mError(error: Error & {oclif?: {exit?: number}}, id: string | undefined): C1mError | undefined {
  if (error instanceof C1mError) {
    error.message = unwrapParseMessage(error.message)
    return error
  }
  // oclif's own parse errors (unknown flag, value not among the options, missing value)
  if (error instanceof Errors.CLIError && error.oclif?.exit === 2) {
    // One line: oclif's message may span lines ("Missing 1 required arg:\ndir  what it is\nSee more help ...").
    const lines = error.message.split('\n').map((line) => line.trim().replaceAll(/\s+/g, ' ')).filter((line) => line !== '' && !line.startsWith('See more help'))
    return new C1mError('E_USAGE', lines.join(' ').replace(/:$/, ''), `see c1m ${id ?? ''} --help`.replace('  ', ' '))
  }
  if ((error as NodeJS.ErrnoException).code === 'EACCES') {
    return new C1mError('E_UNREADABLE', error.message, 'run as root or check the file permissions')
  }
  return undefined
}

export {EXIT_CODES}
