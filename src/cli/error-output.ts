import type {C1mError} from '../core/errors.js'

/** JSON envelope printed by every command under --json. */
export interface Envelope<T> {
  status: number
  result?: T
  warnings: string[]
  error?: {code: string; message: string; suggestion?: string}
}

/** c1m's one error line: what is wrong; what to do [CODE, exit N]. */
export function formatErrorLine(error: C1mError): string {
  const fix = error.suggestion ? `; ${error.suggestion}` : ''
  return `c1m: ${error.message}${fix} [${error.code}, exit ${error.exit}]`
}

/** The envelope of a failed command under --json. */
export function errorEnvelope(error: C1mError, warnings: string[] = []): Envelope<never> {
  return {status: error.exit, warnings, error: {code: error.code, message: error.message, suggestion: error.suggestion}}
}
