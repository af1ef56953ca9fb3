import {type ApplyState, APPLY_DIRS, APPLY_FILES, type Change, MAX_BEFORE_BASE64} from './apply-state.js'
import {isIfaceName, isIpv4, isNetnsName} from '../host-names.js'
import {ROLES} from '../needs.js'
import {isSysctlKey} from '../sysctl-name.js'
import {isUnitDropInDir, isUnitDropInFile} from './systemd-unit.js'

// The apply record drives root writes and `ip` commands on revert, so it is read as hostile
// input: every field of every change is checked before anything is undone, and any doubt
// rejects the whole record.

type Fields = Record<string, unknown>

const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v)
/** What a sysctl file holds: printable text, tabs and newlines, at most 4 KiB. */
const isSysctlText = (v: unknown): v is string => typeof v === 'string' && v.length <= 4096 && /^[\x20-\x7e\t\n]*$/.test(v)
const isBase64 = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_BEFORE_BASE64 && /^[A-Za-z0-9+/]*={0,2}$/.test(v)

function onlyFields(c: Fields, allowed: string[]): string | undefined {
  const extra = Object.keys(c).filter((k) => !allowed.includes(k))
  return extra.length > 0 ? `unknown field ${extra[0]}` : undefined
}

/** What is wrong with one change, or undefined when it is one apply could have made. */
function changeProblem(c: unknown, netns: string | undefined): string | undefined {
  if (!isObject(c)) return 'not an object'
  if (c.pending !== undefined && c.pending !== true) return 'pending must be true when present'
  switch (c.kind) {
    case 'dir':
      if (!APPLY_DIRS.includes(c.path as string) && !isUnitDropInDir(c.path)) return `path ${JSON.stringify(c.path)} is not a directory apply creates (${APPLY_DIRS.join(', ')}, or a unit's drop-in directory)`
      return onlyFields(c, ['kind', 'path', 'pending'])
    case 'file':
      if (!APPLY_FILES.includes(c.path as string) && !isUnitDropInFile(c.path)) return `path ${JSON.stringify(c.path)} is not a file apply writes (${APPLY_FILES.join(', ')}, or a unit's 90-c1m.conf drop-in)`
      if (c.before !== null && !isBase64(c.before)) return 'before must be null or base64'
      if (c.afterSha256 !== undefined && !(typeof c.afterSha256 === 'string' && /^[0-9a-f]{64}$/.test(c.afterSha256))) return 'afterSha256 must be a SHA-256 in hex'
      return onlyFields(c, ['kind', 'path', 'before', 'afterSha256', 'pending'])
    case 'sysctl':
      if (!isSysctlKey(c.key)) return `key ${JSON.stringify(c.key)} is not a sysctl name`
      if (!isSysctlText(c.before) || !isSysctlText(c.after)) return 'before and after must be sysctl values'
      if (c.netns !== netns) return 'its namespace is not the record\'s'
      // Inside a namespace apply writes only the namespace's own net.* keys.
      if (netns !== undefined && !c.key.startsWith('net.')) return 'only net.* keys are applied inside a namespace'
      return onlyFields(c, ['kind', 'key', 'before', 'after', 'netns', 'pending'])
    case 'address':
      if (!isIfaceName(c.iface)) return `iface ${JSON.stringify(c.iface)} is not an interface name`
      if (!isIpv4(c.address) || c.prefix !== 32) return `address ${JSON.stringify(c.address)}/${String(c.prefix)} is not an IPv4 address with the /32 apply adds`
      if (c.netns !== netns) return 'its namespace is not the record\'s'
      return onlyFields(c, ['kind', 'iface', 'address', 'prefix', 'netns', 'pending'])
    default:
      return `unknown kind ${JSON.stringify(c.kind)}`
  }
}

/**
 * Parse and check an apply record. Returns the record, or the first problem found (which
 * names the change). Pure: where it came from and what to do about it is the caller's.
 * `live`: a record under a --root tree without a namespace may name no address (apply
 * adds addresses only on the live host or in a namespace).
 */
export function parseApplyState(text: string, live: boolean): {ok: true; state: ApplyState} | {ok: false; problem: string} {
  let s: unknown
  try {
    s = JSON.parse(text)
  } catch (error) {
    return {ok: false, problem: `not JSON (${(error as Error).message})`}
  }
  if (!isObject(s) || s.format !== 'c1m.apply-state/1') return {ok: false, problem: 'not a c1m apply state (format is not c1m.apply-state/1)'}
  if (typeof s.profile !== 'string' || !/^[\w.-]{1,100}$/.test(s.profile)) return {ok: false, problem: 'profile is not a profile name'}
  if (!Number.isSafeInteger(s.conns) || (s.conns as number) < 1) return {ok: false, problem: 'conns is not a positive whole number'}
  if (!ROLES.includes(s.role as never)) return {ok: false, problem: `role is not one of ${ROLES.join(', ')}`}
  if (s.netns !== undefined && !isNetnsName(s.netns)) return {ok: false, problem: 'netns is not a namespace name'}
  const id = s.netnsId
  if (id !== undefined && (!isObject(id) || !Number.isSafeInteger(id.dev) || !Number.isSafeInteger(id.ino) || Object.keys(id).length !== 2)) return {ok: false, problem: 'netnsId is not {dev, ino}'}
  if (typeof s.startedAt !== 'string' || Number.isNaN(Date.parse(s.startedAt))) return {ok: false, problem: 'startedAt is not a date'}
  if (!Array.isArray(s.steps) || !s.steps.every((x) => typeof x === 'string')) return {ok: false, problem: 'steps is not a list of names'}
  if (typeof s.complete !== 'boolean') return {ok: false, problem: 'complete is not true or false'}
  if (!Array.isArray(s.changes) || s.changes.length > 100_000) return {ok: false, problem: 'changes is not a list'}
  const netns = s.netns as string | undefined
  for (const [i, c] of (s.changes as unknown[]).entries()) {
    const problem = changeProblem(c, netns)
    if (problem) return {ok: false, problem: `change ${i + 1}: ${problem}`}
    if ((c as Change).kind === 'address' && !live && netns === undefined) return {ok: false, problem: `change ${i + 1}: an address under a --root tree (apply adds none there)`}
  }
  const extra = onlyFields(s, ['format', 'profile', 'conns', 'role', 'netns', 'netnsId', 'startedAt', 'steps', 'complete', 'changes'])
  if (extra) return {ok: false, problem: extra}
  return {ok: true, state: s as unknown as ApplyState}
}
