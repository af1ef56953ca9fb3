import type {ClientHostResult} from '../core/probe/merge-clients.js'
import {C1mError, usageError} from '../core/errors.js'
import {hostOfFile, jsonResult, readMergeFile} from './merge-files.js'

const MAX_BYTES = 4 * 1024 * 1024
const bad = (file: string, what: string) =>
  new C1mError('E_BAD_REPORT', `${file} is not a c1m client result: ${what}`, 'pass files written from `c1m client --json` on each client host')

const count = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0

/** One `c1m client --json` output (the envelope or its result), checked where the merge reads it. */
export function parseClientResult(text: string, file: string): ClientHostResult {
  const r = jsonResult(text, 'the client', (what) => bad(file, what)) as ClientHostResult & {schema?: unknown}
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
    const text = readMergeFile(file, MAX_BYTES, 'pass client JSON files, one per host', (size) => bad(file, `${size} bytes is far more than a client result`))
    const result = parseClientResult(text, file)
    const twin = result.shard && out.find((o) => o.result.shard?.index === result.shard!.index)
    if (twin) throw usageError(`--merge: ${twin.file} and ${file} are both shard ${result.shard!.index}`, 'give each client host its own --shard I/K')
    const other = result.shard && out.find((o) => o.result.shard && o.result.shard.count !== result.shard!.count)
    if (other) throw usageError(`--merge: ${other.file} is a shard of ${other.result.shard!.count} and ${file} of ${result.shard!.count}`, 'merge the results of one run')
    out.push({name: hostOfFile(file), file, result})
  }
  return out
}
