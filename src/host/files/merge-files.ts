import {readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {cleanJson, cleanLine} from '../../core/clean-text.js'
import {C1mError, usageError} from '../../core/errors.js'

// The files `--merge` takes (doctor's reports, clients' results): read one, and take the result
// out of its --json envelope. The per-kind checks stay with each kind.

/**
 * The text of one file given to --merge: a regular file of at most maxBytes. A directory is a
 * usage error, an unreadable file E_UNREADABLE, one too big whatever `tooBig` says.
 */
export function readMergeFile(file: string, maxBytes: number, fix: string, tooBig: (size: number) => C1mError): string {
  const shown = shownName(file)
  try {
    const stat = statSync(file)
    if (!stat.isFile()) throw usageError(`--merge ${shown}: not a regular file`, fix)
    if (stat.size > maxBytes) throw tooBig(stat.size)
    return readFileSync(file, 'utf8')
  } catch (error) {
    if (error instanceof C1mError) throw error
    throw new C1mError('E_UNREADABLE', `--merge ${shown}: cannot read it (${cleanLine(String((error as NodeJS.ErrnoException).code ?? (error as Error).message))})`, fix)
  }
}

/** A file name as messages and tables show it: another host's name may carry control characters. */
export const shownName = (file: string): string => cleanLine(file)

/**
 * A file's JSON, with every string cleaned of control characters and no `__proto__` key (cleanJson):
 * what the readers check and the renderers print. Not JSON, or nested deeper than any report, is `bad`.
 */
export function parseJsonText(text: string, bad: (what: string) => C1mError): unknown {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw bad('not JSON')
  }
  const clean = cleanJson(doc)
  if (!clean.ok) throw bad(clean.reason)
  return clean.value
}

/**
 * What a command's --json output holds: the envelope's result, or a bare result. Not JSON, or the
 * envelope of a run that failed (`failed`: who, as in "doctor failed on that host"), is `bad`.
 */
export function jsonResult(text: string, failed: string, bad: (what: string) => C1mError): unknown {
  const doc = parseJsonText(text, bad)
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return doc
  // An envelope has a numeric status; a bare result has none (a client result carries its own
  // `error` text, empty when it succeeded, and is not a failed envelope).
  const envelope = doc as {status?: unknown; result?: unknown; error?: unknown}
  if (typeof envelope.status !== 'number') return doc
  if (envelope.result === undefined) {
    const message = (envelope.error as {message?: unknown} | undefined)?.message
    throw bad(`${failed} failed on that host (${typeof message === 'string' ? message : 'no message'})`)
  }
  return envelope.result
}

/** The host a merged file stands for: its name without .json. */
export const hostOfFile = (file: string): string => cleanLine(path.basename(file).replace(/\.json$/i, ''))
