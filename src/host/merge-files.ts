import {readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {C1mError, usageError} from '../core/errors.js'

// The files `--merge` takes (doctor's reports, clients' results): read one, and take the result
// out of its --json envelope. The per-kind checks stay with each kind.

/**
 * The text of one file given to --merge: a regular file of at most maxBytes. A directory is a
 * usage error, an unreadable file E_UNREADABLE, one too big whatever `tooBig` says.
 */
export function readMergeFile(file: string, maxBytes: number, fix: string, tooBig: (size: number) => C1mError): string {
  try {
    const stat = statSync(file)
    if (!stat.isFile()) throw usageError(`--merge ${file}: not a regular file`, fix)
    if (stat.size > maxBytes) throw tooBig(stat.size)
    return readFileSync(file, 'utf8')
  } catch (error) {
    if (error instanceof C1mError) throw error
    throw new C1mError('E_UNREADABLE', `--merge ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, fix)
  }
}

/**
 * What a command's --json output holds: the envelope's result, or a bare result. Not JSON, or the
 * envelope of a run that failed (`failed`: who, as in "doctor failed on that host"), is `bad`.
 */
export function jsonResult(text: string, failed: string, bad: (what: string) => C1mError): unknown {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw bad('not JSON')
  }
  const envelope = doc as {result?: unknown; error?: {message?: unknown}}
  if (envelope && typeof envelope === 'object' && 'error' in envelope && envelope.result === undefined) {
    throw bad(`${failed} failed on that host (${String(envelope.error?.message ?? 'no message')})`)
  }
  return envelope && typeof envelope === 'object' && 'result' in envelope ? envelope.result : doc
}

/** The host a merged file stands for: its name without .json. */
export const hostOfFile = (file: string): string => path.basename(file).replace(/\.json$/i, '')
