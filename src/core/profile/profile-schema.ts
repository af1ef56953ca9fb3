import {FAMILIES, ROLES} from '../needs.js'
import {COMPUTE_NAMES} from './compute.js'

// The shape of a profile file as a JSON Schema (draft-07). parse-profile validates every
// profile against it with ajv, and `npm run schema` writes it to profiles/profile.schema.json,
// where editors with the YAML language server pick it up from each profile's first line.
// The rules the schema cannot say (the name matches the file, the exact sysctl-name rule)
// stay in parse-profile.ts.

/** A whole number, or whole numbers separated by spaces ("4096 87380 6291456"). */
export const NUMBERS_PATTERN = '^\\s*\\d+(\\s+\\d+)*\\s*$'
const numbers = {
  type: ['integer', 'string'],
  minimum: 0,
  pattern: NUMBERS_PATTERN,
  description: 'A whole number, or whole numbers separated by spaces',
}

/** Words: a string that is not blank, or a number (YAML reads `section: 2.1` as one). */
const text = {type: ['string', 'number'], pattern: '\\S'}

/** The fields every value has besides the value itself. */
const common = {
  compute: {enum: COMPUTE_NAMES, description: 'A formula of the c1m model (src/core/profile/compute.ts), instead of a fixed value'},
  formula: {...text, description: 'The computed formula in words'},
  section: {...text, description: 'The section of the source document the value comes from'},
  note: text,
  roles: {type: 'array', items: {enum: ROLES}, description: 'Roles the value applies to; all when absent'},
  family: {enum: FAMILIES, description: 'The IP family the value applies to (apply --family 4|6); both when absent'},
  own: {...text, description: "Marks a value as c1m's own, not the document's, and says why c1m adds it (an IPv6 equivalent of the document's tuning); section then names what it stands beside"},
}

/** A value held in `valueKeys`, or computed: one or the other, and a computed one states its formula. */
function valueSchema(valueKeys: string[], extra: Record<string, unknown> = {}, required: string[] = []) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['section', ...required],
    properties: {...Object.fromEntries(valueKeys.map((k) => [k, numbers])), ...common, ...extra},
    if: {required: ['compute']},
    then: {required: ['formula'], not: {anyOf: valueKeys.map((k) => ({required: [k]}))}},
    else: {required: valueKeys},
  }
}

/** Sysctls of IPv6: a profile's value of one must be marked `own:`. */
export const IPV6_KEY_PATTERN = '^net\\.ipv6\\.'

export const SYSCTL_NAME_PATTERN = '^[a-z][A-Za-z0-9_-]*(\\.[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*)+$'

export const PROFILE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/c1m-dev/c1m/profiles/profile.schema.json',
  title: 'c1m tuning profile',
  description: 'A set of sysctl, nofile, systemd and address values, each citing the document section it comes from (docs/apply.md)',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'summary', 'source'],
  properties: {
    name: {...text, description: 'Must match the file name without .yaml'},
    summary: text,
    source: {
      type: 'object',
      additionalProperties: false,
      required: ['file'],
      properties: {file: text, title: text, year: {type: 'integer', minimum: 1990, maximum: 2100}},
    },
    include: {type: 'array', items: text, description: 'Profiles merged first, in order; later wins'},
    sysctl: {
      type: 'object',
      propertyNames: {pattern: SYSCTL_NAME_PATTERN, maxLength: 256},
      // No document c1m cites tunes IPv6: every net.ipv6 value is c1m's own and must say so.
      patternProperties: {[IPV6_KEY_PATTERN]: valueSchema(['value'], {}, ['own'])},
      additionalProperties: valueSchema(['value']),
    },
    limits: {type: 'object', additionalProperties: false, properties: {nofile: valueSchema(['soft', 'hard'])}},
    systemd: {type: 'object', additionalProperties: false, properties: {DefaultLimitNOFILE: valueSchema(['value'])}},
    addresses: valueSchema(['count'], {example: text}),
  },
} as const
