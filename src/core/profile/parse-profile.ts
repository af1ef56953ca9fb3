import {isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type Pair, type YAMLMap} from 'yaml'

import {C1mError} from '../../errors.js'
import {type Role, ROLES} from '../needs.js'
import {isSysctlKey} from '../sysctl-name.js'
import {COMPUTE_NAMES} from './compute.js'
import type {ProfileDoc, ProfileFile, ProfileValue, ValueKind} from './types.js'

const TOP_KEYS = ['name', 'summary', 'source', 'include', 'sysctl', 'limits', 'systemd', 'addresses']
const NUMBERS = /^\d+( \d+)*$/

/** A profile that does not load: the error names the file, the key and the line. */
export function profileError(file: string, line: number, key: string, problem: string): C1mError {
  return new C1mError('E_BAD_PROFILE', `${file}:${line}: ${key}: ${problem}`, 'fix the profile; see docs/apply.md for the format')
}

interface Ctx {
  file: string
  lc: LineCounter
  name: string
  doc: ProfileDoc
}

function lineOf(ctx: Ctx, node: Node | Pair | null | undefined): number {
  const range = (node as Node | undefined)?.range ?? ((node as Pair | undefined)?.key as Node | undefined)?.range
  return range ? ctx.lc.linePos(range[0]).line : 1
}

function entries(ctx: Ctx, map: unknown, path: string, line: number): [string, Node | null, number][] {
  if (!isMap(map)) throw profileError(ctx.file, line, path, 'must be a mapping of key: value')
  return (map as YAMLMap<Node, Node | null>).items.map((pair) => {
    if (!isScalar(pair.key)) throw profileError(ctx.file, lineOf(ctx, pair.key), path, 'keys must be plain names')
    return [String(pair.key.value), pair.value, lineOf(ctx, pair.key)]
  })
}

function scalar(ctx: Ctx, node: Node | null, path: string, line: number): string {
  if (!isScalar(node) || node.value === null || typeof node.value === 'object') throw profileError(ctx.file, line, path, 'must be a single value')
  return String(node.value).trim()
}

function numbers(ctx: Ctx, node: Node | null, path: string, line: number): string {
  const text = scalar(ctx, node, path, line).split(/\s+/).join(' ')
  if (!NUMBERS.test(text)) throw profileError(ctx.file, line, path, `must be a whole number or numbers separated by spaces, got "${text}"`)
  return text
}

function roles(ctx: Ctx, node: Node | null, path: string, line: number): Role[] {
  if (!isSeq(node)) throw profileError(ctx.file, line, path, `must be a list of roles (${ROLES.join(', ')})`)
  return node.items.map((item) => {
    const role = scalar(ctx, item as Node, path, line)
    if (!ROLES.includes(role as Role)) throw profileError(ctx.file, line, path, `unknown role "${role}"; roles are ${ROLES.join(', ')}`)
    return role as Role
  })
}

/**
 * One value's mapping: `value:` or `compute:` (+ `formula:`), `section:` (required: every
 * value names where it came from), optional `note:` and `roles:`. `valueKeys` lists the
 * keys that hold the value itself (`value`, or `soft`/`hard` for nofile, `count` for addresses).
 */
function readValue(ctx: Ctx, node: Node | null, path: string, line: number, kind: ValueKind, key: string, valueKeys: string[]): ProfileValue[] {
  const allowed = [...valueKeys, 'compute', 'formula', 'section', 'note', 'roles', ...(kind === 'addresses' ? ['example'] : [])]
  const fields: Record<string, {node: Node | null; line: number}> = {}
  for (const [k, v, l] of entries(ctx, node, path, line)) {
    if (!allowed.includes(k)) throw profileError(ctx.file, l, `${path}.${k}`, `unknown field; allowed: ${allowed.join(', ')}`)
    fields[k] = {node: v, line: l}
  }
  const get = (k: string) => (fields[k] ? scalar(ctx, fields[k].node, `${path}.${k}`, fields[k].line) : undefined)
  const section = get('section')
  if (!section) throw profileError(ctx.file, line, path, 'has no section: every value must name the section of the document it came from')
  const compute = get('compute')
  const given = valueKeys.filter((k) => fields[k])
  if (compute && given.length > 0) throw profileError(ctx.file, line, path, `has both compute: and ${given[0]}:; use one`)
  if (!compute && given.length !== valueKeys.length) {
    throw profileError(ctx.file, line, path, `needs ${valueKeys.map((k) => `${k}:`).join(' and ')} or compute:`)
  }
  if (compute && !COMPUTE_NAMES.includes(compute)) throw profileError(ctx.file, fields.compute.line, `${path}.compute`, `unknown formula "${compute}"; known: ${COMPUTE_NAMES.join(', ')}`)
  if (compute && !get('formula')) throw profileError(ctx.file, line, path, 'a computed value must state its formula (formula:)')
  const base = {
    kind,
    formula: get('formula'),
    roles: fields.roles ? roles(ctx, fields.roles.node, `${path}.roles`, fields.roles.line) : undefined,
    example: get('example'),
    source: {profile: ctx.name, ...ctx.doc, section, note: get('note'), at: `${ctx.file}:${line}`},
  }
  if (compute) {
    const keys = kind === 'nofile' ? ['soft', 'hard'] : [key]
    return keys.map((k) => ({...base, id: `${kind} ${k}`, key: k, compute}))
  }
  return valueKeys.map((vk) => {
    const k = kind === 'nofile' ? vk : key
    return {...base, id: `${kind} ${k}`, key: k, value: numbers(ctx, fields[vk].node, `${path}.${vk}`, fields[vk].line)}
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
  const stem = file.split('/').at(-1)!.replace(/\.ya?ml$/, '')
  const ctx: Ctx = {file, lc, name: stem, doc: {file: ''}}
  const top: Record<string, {node: Node | null; line: number}> = {}
  for (const [k, v, l] of entries(ctx, doc.contents, '(top level)', 1)) {
    if (!TOP_KEYS.includes(k)) throw profileError(file, l, k, `unknown section; sections are ${TOP_KEYS.join(', ')}`)
    top[k] = {node: v, line: l}
  }
  for (const required of ['name', 'summary', 'source']) {
    if (!top[required]) throw profileError(file, 1, required, 'is missing')
  }
  const name = scalar(ctx, top.name.node, 'name', top.name.line)
  if (name !== stem) throw profileError(file, top.name.line, 'name', `"${name}" must match the file name "${stem}"`)
  ctx.name = name
  const summary = scalar(ctx, top.summary.node, 'summary', top.summary.line)

  const source: ProfileDoc = {file: ''}
  for (const [k, v, l] of entries(ctx, top.source.node, 'source', top.source.line)) {
    if (k === 'file') source.file = scalar(ctx, v, 'source.file', l)
    else if (k === 'title') source.title = scalar(ctx, v, 'source.title', l)
    else if (k === 'year') {
      const year = Number(scalar(ctx, v, 'source.year', l))
      if (!Number.isInteger(year) || year < 1990 || year > 2100) throw profileError(file, l, 'source.year', 'must be a year such as 2008')
      source.year = year
    } else throw profileError(file, l, `source.${k}`, 'unknown field; allowed: file, title, year')
  }
  if (!source.file) throw profileError(file, top.source.line, 'source.file', 'is missing: name the document the values come from')
  ctx.doc = source

  const include: ProfileFile['include'] = []
  if (top.include) {
    const node = top.include.node
    if (!isSeq(node)) throw profileError(file, top.include.line, 'include', 'must be a list of profile names')
    for (const item of node.items) {
      const l = lineOf(ctx, item as Node)
      include.push({name: scalar(ctx, item as Node, 'include', l), at: `${file}:${l}`})
    }
  }

  const values: ProfileValue[] = []
  if (top.sysctl) {
    for (const [key, node, l] of entries(ctx, top.sysctl.node, 'sysctl', top.sysctl.line)) {
      if (!isSysctlKey(key)) throw profileError(file, l, `sysctl.${key}`, 'is not a sysctl name (such as net.core.somaxconn)')
      values.push(...readValue(ctx, node, `sysctl.${key}`, l, 'sysctl', key, ['value']))
    }
  }
  if (top.limits) {
    for (const [key, node, l] of entries(ctx, top.limits.node, 'limits', top.limits.line)) {
      if (key !== 'nofile') throw profileError(file, l, `limits.${key}`, 'unknown limit; c1m manages nofile')
      values.push(...readValue(ctx, node, 'limits.nofile', l, 'nofile', 'nofile', ['soft', 'hard']))
    }
  }
  if (top.systemd) {
    for (const [key, node, l] of entries(ctx, top.systemd.node, 'systemd', top.systemd.line)) {
      if (key !== 'DefaultLimitNOFILE') throw profileError(file, l, `systemd.${key}`, 'unknown setting; c1m manages DefaultLimitNOFILE')
      values.push(...readValue(ctx, node, `systemd.${key}`, l, 'systemd', key, ['value']))
    }
  }
  if (top.addresses) values.push(...readValue(ctx, top.addresses.node, 'addresses', top.addresses.line, 'addresses', 'count', ['count']))
  const seen = new Set<string>()
  for (const v of values) {
    if (seen.has(v.id)) throw profileError(file, Number(v.source.at.split(':').at(-1)), v.id, 'is set twice')
    seen.add(v.id)
  }
  return {name, summary, source, include, values, path: file}
}
