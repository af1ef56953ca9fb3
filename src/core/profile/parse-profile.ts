import {type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit} from 'yaml'

import {C1mError} from '../errors.js'
import type {Family, Role} from '../needs.js'
import {isSysctlKey} from '../sysctl-name.js'
import {type Problem, schemaProblems} from './profile-problems.js'
import type {ProfileDoc, ProfileFile, ProfileValue, ValueKind} from './types.js'

/** A profile that does not load: the error names the file, the key and the line. */
export function profileError(file: string, line: number, key: string, problem: string): C1mError {
  return new C1mError('E_BAD_PROFILE', `${file}:${line}: ${key}: ${problem}`, 'fix the profile; see docs/apply.md for the format')
}

/**
 * The line of the key at `path` (or of the list item), or of the deepest part of it that exists; 1
 * for the top level.
 */
function lineOf(doc: Document, lc: LineCounter, path: string[]): number {
  let node: unknown = doc.contents
  let line = 1
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === part)
      if (!pair) break
      const range = (pair.key as Node).range
      if (range) line = lc.linePos(range[0]).line
      node = pair.value
    } else if (isSeq(node)) {
      node = node.items[Number(part)]
      const range = (node as Node | undefined)?.range
      if (range) line = lc.linePos(range[0]).line
    } else break
  }
  return line
}

/** Every problem at once, in line order: one line that names each file:line and key. */
function problemsError(file: string, doc: Document, lc: LineCounter, problems: Problem[]): C1mError {
  const placed = problems.map((p) => ({line: lineOf(doc, lc, p.path), key: p.path.join('.') || '(top level)', problem: p.problem}))
  placed.sort((a, b) => a.line - b.line)
  const first = profileError(file, placed[0].line, placed[0].key, placed[0].problem)
  if (placed.length === 1) return first
  const all = placed.map((p) => `${file}:${p.line}: ${p.key}: ${p.problem}`).join(' | ')
  return new C1mError('E_BAD_PROFILE', `${all} (${placed.length} problems)`, first.suggestion)
}

type Fields = Record<string, unknown>

const words = (value: unknown): string | undefined => (value === undefined ? undefined : String(value).trim())
const numbers = (value: unknown): string => (typeof value === 'number' ? String(value) : String(value).trim().split(/\s+/).join(' '))

/**
 * One value's mapping, already valid: `value:` (or `soft`/`hard`, `count`) or `compute:` with
 * `formula:`, a `section:`, optional `note:`, `roles:` and, for addresses, `example:`.
 */
function readValue(fields: Fields, kind: ValueKind, key: string, valueKeys: string[], source: ProfileValue['source']): ProfileValue[] {
  const base = {kind, formula: words(fields.formula), roles: fields.roles as Role[] | undefined, family: fields.family as Family | undefined, example: words(fields.example), source}
  const compute = words(fields.compute)
  if (compute) {
    const keys = kind === 'nofile' ? ['soft', 'hard'] : [key]
    return keys.map((k) => ({...base, id: `${kind} ${k}`, key: k, compute}))
  }
  return valueKeys.map((vk) => {
    const k = kind === 'nofile' ? vk : key
    return {...base, id: `${kind} ${k}`, key: k, value: numbers(fields[vk])}
  })
}

/**
 * A number YAML cannot hold exactly (beyond 2^53: 10^38, 18446744073709551615) is taken as the
 * digits written, so it is planned and written as that integer, never as `1e+38`; one not
 * written as plain digits (`1e38`, `1.5e20`) is kept as its text, which the schema refuses as
 * not a whole number.
 */
function exactIntegers(doc: Document): void {
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'number' || Number.isSafeInteger(node.value) || node.source === undefined) return
      node.value = /^\+?\d+$/.test(node.source) ? BigInt(node.source).toString() : node.source
    },
  })
}

/** Parse and validate one profile file. `file` is how errors name it (profiles/NAME.yaml). */
export function parseProfile(text: string, file: string): ProfileFile {
  const lc = new LineCounter()
  const doc = parseDocument(text, {lineCounter: lc, prettyErrors: false})
  if (doc.errors.length > 0) {
    const error = doc.errors[0]
    const line = error.linePos?.[0].line ?? 1
    throw profileError(file, line, 'yaml', `malformed YAML: ${error.message.split('\n')[0]}`)
  }
  exactIntegers(doc)
  let data: Fields
  try {
    // Aliases are expanded here: a billion-laughs document stops at the 100th, not at the heap.
    data = doc.toJS({maxAliasCount: 100}) as Fields
  } catch (error) {
    throw profileError(file, 1, 'yaml', `cannot be expanded: ${(error as Error).message.split('\n')[0]}`)
  }
  const stem = file.split('/').at(-1)!.replace(/\.ya?ml$/, '')
  const problems = schemaProblems(data)
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    if (data.name !== undefined && String(data.name).trim() !== stem) {
      problems.push({path: ['name'], problem: `"${String(data.name).trim()}" must match the file name "${stem}"`})
    }
    // The schema's pattern is the editor's hint; isSysctlKey is the rule (a slash only in an interface part).
    for (const key of Object.keys((data.sysctl as Fields | undefined) ?? {})) {
      if (!isSysctlKey(key) && !problems.some((p) => p.path[0] === 'sysctl' && p.path[1] === key && p.path.length === 2)) {
        problems.push({path: ['sysctl', key], problem: 'is not a sysctl name (such as net.core.somaxconn)'})
      }
    }
  }
  if (problems.length > 0) throw problemsError(file, doc, lc, problems)

  const at = (...path: string[]) => `${file}:${lineOf(doc, lc, path)}`
  const src = data.source as Fields
  const doc0: ProfileDoc = {file: words(src.file)!}
  if (src.title !== undefined) doc0.title = words(src.title)
  if (src.year !== undefined) doc0.year = src.year as number
  const source = (fields: Fields, path: string[]) => ({profile: stem, ...doc0, section: words(fields.section)!, note: words(fields.note), own: words(fields.own), at: at(...path)})

  const include = ((data.include as unknown[] | undefined) ?? []).map((name, i) => ({name: String(name).trim(), at: at('include', String(i))}))
  const values: ProfileValue[] = []
  for (const [key, fields] of Object.entries((data.sysctl as Record<string, Fields> | undefined) ?? {})) {
    values.push(...readValue(fields, 'sysctl', key, ['value'], source(fields, ['sysctl', key])))
  }
  const nofile = (data.limits as Record<string, Fields> | undefined)?.nofile
  if (nofile) values.push(...readValue(nofile, 'nofile', 'nofile', ['soft', 'hard'], source(nofile, ['limits', 'nofile'])))
  const systemd = (data.systemd as Record<string, Fields> | undefined)?.DefaultLimitNOFILE
  if (systemd) values.push(...readValue(systemd, 'systemd', 'DefaultLimitNOFILE', ['value'], source(systemd, ['systemd', 'DefaultLimitNOFILE'])))
  const addresses = data.addresses as Fields | undefined
  if (addresses) values.push(...readValue(addresses, 'addresses', 'count', ['count'], source(addresses, ['addresses'])))
  return {name: stem, summary: words(data.summary)!, source: doc0, include, values, path: file}
}
