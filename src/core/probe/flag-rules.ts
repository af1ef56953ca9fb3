import {C1mError} from '../errors.js'

/**
 * One rule between flags, as a row of a table: when `breaks` holds, the command is refused with
 * `error` (one line, and the exit code of its code in core/errors.ts) before anything starts.
 */
export interface FlagRule<T> {
  breaks: (input: T) => boolean
  error: (input: T) => C1mError
}

/** Throw the error of the first rule, in the table's order, that the input breaks. */
export function checkRules<T>(rules: readonly FlagRule<T>[], input: T): void {
  for (const rule of rules) if (rule.breaks(input)) throw rule.error(input)
}

/**
 * A resolver's answer: what `resolve` returns, or the C1mError it threw (a flag parser's or a
 * rule's), for the command to throw; anything else is a bug and goes on up.
 */
export function resolveOrError<T>(resolve: () => T): T | C1mError {
  try {
    return resolve()
  } catch (error) {
    if (error instanceof C1mError) return error
    throw error
  }
}
