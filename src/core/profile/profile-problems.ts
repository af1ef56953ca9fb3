import {Ajv, type ErrorObject, type ValidateFunction} from 'ajv'

import {ROLES} from '../needs.js'
import {COMPUTE_NAMES} from './compute.js'
import {NUMBERS_PATTERN, PROFILE_SCHEMA} from './profile-schema.js'

/** One thing wrong with a profile: where (path of keys) and what, in words. */
export interface Problem {
  path: string[]
  problem: string
}

let validate: ValidateFunction | undefined

/**
 * Compiled once, on first use: ajv's compile costs a few milliseconds that doctor without --profile
 * never pays.
 */
function validator(): ValidateFunction {
  validate ??= new Ajv({allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true}).compile(PROFILE_SCHEMA)
  return validate
}

const TOP_KEYS = Object.keys(PROFILE_SCHEMA.properties)

/**
 * The path of an ajv error as keys: /sysctl/net.core.somaxconn/value -> ['sysctl',
 * 'net.core.somaxconn', 'value'].
 */
function segments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
}

const numbersProblem = (data: unknown) => `must be a whole number or numbers separated by spaces, got ${JSON.stringify(data)}`

function additional(path: string[], key: string, error: ErrorObject): Problem {
  const at = [...path, key]
  if (path.length === 0) return {path: at, problem: `unknown section; sections are ${TOP_KEYS.join(', ')}`}
  if (path[0] === 'limits') return {path: at, problem: 'unknown limit; c1m manages nofile'}
  if (path[0] === 'systemd') return {path: at, problem: 'unknown setting; c1m manages DefaultLimitNOFILE'}
  const allowed = Object.keys((error.parentSchema as {properties?: object}).properties ?? {})
  return {path: at, problem: `unknown field; allowed: ${allowed.join(', ')}`}
}

function required(path: string[], missing: string, error: ErrorObject): Problem {
  if (path.length === 0) return {path: [missing], problem: 'is missing'}
  if (missing === 'section') return {path, problem: 'has no section: every value must name the section of the document it came from'}
  if (path[0] === 'source') return {path: [...path, missing], problem: 'is missing: name the document the values come from'}
  if (missing === 'formula') return {path, problem: 'a computed value must state its formula (formula:)'}
  const keys = error.schema as string[]
  return {path, problem: `needs ${keys.map((k) => `${k}:`).join(' and ')} or compute:`}
}

function typeProblem(path: string[], error: ErrorObject): string {
  const last = path.at(-1)
  const type = String(error.params.type)
  if (type === 'object') return 'must be a mapping of key: value'
  if (last === 'roles') return `must be a list of roles (${ROLES.join(', ')})`
  if (last === 'include') return 'must be a list of profile names'
  if (last === 'year') return 'must be a year such as 2008'
  if (type.includes('integer')) return numbersProblem(error.data)
  return 'must be a single value'
}

/** ajv's error, in c1m's words, at the key a person would fix. */
function explain(error: ErrorObject): Problem | undefined {
  const path = segments(error.instancePath)
  switch (error.keyword) {
    case 'if':
      return undefined
    case 'additionalProperties':
      return additional(path, String(error.params.additionalProperty), error)
    case 'required':
      return required(path, String(error.params.missingProperty), error)
    case 'propertyNames':
      return {path: [...path, String(error.params.propertyName)], problem: 'is not a sysctl name (such as net.core.somaxconn)'}
    case 'not': {
      const data = error.data as Record<string, unknown>
      const value = ['value', 'soft', 'hard', 'count'].find((k) => k in data)
      return {path, problem: `has both compute: and ${value}:; use one`}
    }
    case 'type':
      return {path, problem: typeProblem(path, error)}
    case 'enum':
      if (path.at(-1) === 'compute') return {path, problem: `unknown formula ${JSON.stringify(error.data)}; known: ${COMPUTE_NAMES.join(', ')}`}
      return {path: path.slice(0, -1), problem: `unknown role ${JSON.stringify(error.data)}; roles are ${ROLES.join(', ')}`}
    case 'minimum':
    case 'maximum':
      return {path, problem: path.at(-1) === 'year' ? 'must be a year such as 2008' : numbersProblem(error.data)}
    case 'pattern':
      return {path, problem: error.schema === NUMBERS_PATTERN ? numbersProblem(error.data) : 'must not be blank'}
    case 'minLength':
      return {path, problem: 'must not be empty'}
    default:
      return {path, problem: error.message ?? error.keyword}
  }
}

/** Every way `data` (a parsed profile) breaks the schema, each once, in c1m's words. */
export function schemaProblems(data: unknown): Problem[] {
  const validateProfile = validator()
  if (validateProfile(data)) return []
  const seen = new Set<string>()
  const problems: Problem[] = []
  for (const error of validateProfile.errors ?? []) {
    // propertyNames reports the failed pattern once more, for the name itself; its own error says it.
    if (error.propertyName !== undefined) continue
    const problem = explain(error)
    const id = problem && `${problem.path.join('\0')}\0${problem.problem}`
    if (!problem || seen.has(id!)) continue
    seen.add(id!)
    problems.push(problem)
  }
  return problems
}
