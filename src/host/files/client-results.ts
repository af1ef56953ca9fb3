import {statSync} from 'node:fs'

import type {ClientHostResult} from '../../core/probe/merge-clients.js'
import {C1mError, usageError} from '../../core/errors.js'
import {hostOfFile, jsonResult, readMergeFile, shownName} from './merge-files.js'

const MAX_BYTES = 4 * 1024 * 1024
const bad = (file: string, what: string) =>
  new C1mError('E_BAD_REPORT', `${file} is not a c1m client result: ${what}`, 'pass files written from `c1m client --json` on each client host')

/** A count as the client writes one: a whole number a sum of many can still hold exactly. */
const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0
/** Seconds: finite, not negative. */
const seconds = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e9
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * One `c1m client --json` output (the envelope or its bare result), checked wherever the merge
 * adds, prints or carries it: a string where a count belongs would be joined, not added ("070").
 */
export function parseClientResult(text: string, file: string): ClientHostResult {
  const name = shownName(file)
  const r = jsonResult(text, 'the client', (what) => bad(name, what))
  if (!isObject(r)) throw bad(name, 'not a JSON object')
  if (r.schema !== undefined && r.schema !== 'c1m.client/1') throw bad(name, `schema is ${JSON.stringify(r.schema)}, not c1m.client/1`)
  for (const key of ['conns', 'established', 'failed', 'addrInUse'] as const) {
    if (!count(r[key])) throw bad(name, `${key} is not a count`)
  }
  for (const key of ['openSeconds', 'heldSeconds'] as const) {
    if (!seconds(r[key])) throw bad(name, `${key} is not a number of seconds`)
  }
  const {echo, shard, stopped} = r
  if (echo !== undefined) {
    if (!isObject(echo) || !count(echo.sent) || !count(echo.echoed)) throw bad(name, 'echo is not counts')
    if (!(echo.mismatched === undefined || count(echo.mismatched)) || !(echo.closed === undefined || count(echo.closed))) throw bad(name, 'echo is not counts')
  }
  if (shard !== undefined && !(isObject(shard) && count(shard.index) && count(shard.count) && (shard.index as number) >= 1 && (shard.index as number) <= (shard.count as number))) throw bad(name, 'shard is not I/K')
  if (stopped !== undefined && typeof stopped !== 'string') throw bad(name, 'stopped is not text')
  return r as unknown as ClientHostResult
}

/**
 * Read the results of `--merge`, named by file. One file given twice (the same file by any name)
 * and two files for one shard are refused: either would count a host's connections twice.
 */
export function readClientResults(files: string[]): Array<{name: string; file: string; result: ClientHostResult}> {
  const out: Array<{name: string; file: string; result: ClientHostResult}> = []
  const seen = new Map<string, string>()
  for (const file of files) {
    const text = readMergeFile(file, MAX_BYTES, 'pass client JSON files, one per host', (size) => bad(shownName(file), `${size} bytes is far more than a client result`))
    const {dev, ino} = statSync(file)
    const again = seen.get(`${dev}:${ino}`)
    if (again !== undefined) throw usageError(`--merge: ${again} and ${shownName(file)} are the same file`, 'give each client host\'s result once')
    seen.set(`${dev}:${ino}`, shownName(file))
    const result = parseClientResult(text, file)
    const twin = result.shard && out.find((o) => o.result.shard?.index === result.shard!.index)
    if (twin) throw usageError(`--merge: ${twin.file} and ${shownName(file)} are both shard ${result.shard!.index}`, 'give each client host its own --shard I/K')
    const other = result.shard && out.find((o) => o.result.shard && o.result.shard.count !== result.shard!.count)
    if (other) throw usageError(`--merge: ${other.file} is a shard of ${other.result.shard!.count} and ${shownName(file)} of ${result.shard!.count}`, 'merge the results of one run')
    out.push({name: hostOfFile(file), file: shownName(file), result})
  }
  return out
}
