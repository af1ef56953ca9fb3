// The one table of exit codes. Commands throw C1mError; the base command prints one line,
// "c1m: message; fix [CODE, exit N]" (formatErrorLine), and exits with the code's number.

export const EXIT_CODES = {
  OK: 0,
  FINDINGS: 1,
  E_USAGE: 2,
  E_NO_PROCESS: 2,
  E_BAD_ROOT: 2,
  E_BAD_PROFILE: 2,
  E_BAD_REPORT: 2,
  E_RUNTIME: 3,
  E_NOT_ROOT: 4,
  E_READ_ONLY_PROC: 5,
  E_UNREADABLE: 6,
  E_APPLY_FAILED: 7,
  E_NOTHING_TO_REVERT: 8,
  E_PREFLIGHT: 9,
  /** Another apply or revert holds the target's lock (also 9: refused before starting). */
  E_LOCKED: 9,
  E_PROBE_FAILED: 10,
  E_NO_COMPILER: 11,
  E_UNSAFE_PATH: 12,
  /** A probe that held its connections but whose kernel figure is not a measurement (a fit problem). */
  E_NOT_MEASURED: 13,
  E_INTERRUPTED: 130,
} as const

export type ErrorCode = Exclude<keyof typeof EXIT_CODES, 'OK' | 'FINDINGS'>

export class C1mError extends Error {
  readonly code: ErrorCode
  readonly exit: number
  readonly suggestion?: string

  constructor(code: ErrorCode, message: string, suggestion?: string) {
    super(message)
    this.name = 'C1mError'
    this.code = code
    this.exit = EXIT_CODES[code]
    this.suggestion = suggestion
  }
}

export function usageError(message: string, suggestion?: string): C1mError {
  return new C1mError('E_USAGE', message, suggestion)
}
