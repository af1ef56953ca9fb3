import {readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import type {ClientHostResult} from '../core/probe/merge-clients.js'
import {C1mError, usageError} from '../core/errors.js'

const MAX_BYTES = 4 * 1024 * 1024
const bad = (file: string, what: string) =>
  new C1mError('E_BAD_REPORT', `${file} is not a c1m client result: ${what}`, 'pass files written from `c1m client --json` on each client host')

const count = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0

/** One `c1m client --json` output (the envelope or its result), checked where the merge reads it. */
export function parseClientResult(text: string, file: string): ClientHostResult {
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw bad(file, 'not JSON')
  }
  const envelope = doc as {result?: unknown; error?: {message?: unknown}}
  if (envelope && typeof envelope === 'object' && envelope.result === undefined && 'error' in envelope) throw bad(file, `the client failed on that host (${String(envelope.error?.message ?? 'no message')})`)
  const r = (envelope && typeof envelope === 'object' && 'result' in envelope ? envelope.result : doc) as ClientHostResult & {schema?: unknown}
  if (!r || typeof r !== 'object') throw bad(file, 'not a JSON object')
  if (r.schema !== undefined && r.schema !== 'c1m.client/1') throw bad(file, `schema is ${JSON.stringify(r.schema)}, not c1m.client/1`)
  for (const key of ['conns', 'established', 'failed', 'addrInUse', 'openSeconds', 'heldSeconds'] as const) {
    if (!count(r[key])) throw bad(file, `${key} is not a count`)
  }
  if (r.echo && !(count(r.echo.sent) && count(r.echo.echoed))) throw bad(file, 'echo is not counts')
  if (r.shard && !(Number.isInteger(r.shard.index) && Number.isInteger(r.shard.count) && r.shard.index >= 1 && r.shard.index <= r.shard.count)) throw bad(file, 'shard is not I/K')
  return r
}

/** Read the results of `--merge`, named by file; two files for one shard are refused. */
export function readClientResults(files: string[]): Array<{name: string; file: string; result: ClientHostResult}> {
  const out: Array<{name: string; file: string; result: ClientHostResult}> = []
  for (const file of files) {
    let text: string
    try {
      const stat = statSync(file)
      if (!stat.isFile()) throw usageError(`--merge ${file}: not a regular file`, 'pass client JSON files, one per host')
      if (stat.size > MAX_BYTES) throw bad(file, `${stat.size} bytes is far more than a client result`)
      text = readFileSync(file, 'utf8')
    } catch (error) {
      if (error instanceof C1mError) throw error
      throw new C1mError('E_UNREADABLE', `--merge ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'pass client JSON files, one per host')
    }
    const result = parseClientResult(text, file)
    const twin = result.shard && out.find((o) => o.result.shard?.index === result.shard!.index)
    if (twin) throw usageError(`--merge: ${twin.file} and ${file} are both shard ${result.shard!.index}`, 'give each client host its own --shard I/K')
    const other = result.shard && out.find((o) => o.result.shard && o.result.shard.count !== result.shard!.count)
    if (other) throw usageError(`--merge: ${other.file} is a shard of ${other.result.shard!.count} and ${file} of ${result.shard!.count}`, 'merge the results of one run')
    out.push({name: path.basename(file).replace(/\.json$/i, ''), file, result})
  }
  return out
}
