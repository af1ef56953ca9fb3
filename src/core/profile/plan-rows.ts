import type {Family, Role} from '../needs.js'
import type {ValueKind, ValueSource} from './types.js'

// A plan's rows and facts, and the one rule every value follows: raise, keep, or lower when allowed.

export type Action = 'raise' | 'keep' | 'set' | 'lower' | 'skip'
/** Actions that change something. */
export const CHANGES: Action[] = ['raise', 'set', 'lower']

/** Scope of a key inside a network namespace, as found in that namespace. */
export type NetnsScope = 'namespace' | 'read-only' | 'absent'

export interface PlanFacts {
  /** kernel.osrelease */
  kernel?: string
  /** MemTotal in bytes. */
  memTotal?: number
  /** Current sysctl values by name as the kernel prints them; a key that is absent is not on this kernel. */
  sysctl: Record<string, string | undefined>
  /**
   * nofile from limits.conf and limits.d for `*` (what pam_limits gives a login), and the file:line
   * that set it.
   */
  nofile: {soft?: string; hard?: string; where?: string; user?: string}
  /**
   * `unit`: --unit, with the LimitNOFILE its unit files set (and which file); `useDefault`:
   * --systemd-default. With neither, apply writes no systemd file.
   */
  systemd: {running: boolean; defaultLimitNOFILE?: string; file?: string; unit?: {name: string; limitNOFILE?: string; file?: string}; useDefault?: boolean}
  /** With --netns: where each net.* key lives inside the namespace. */
  netns?: {name: string; scope: Record<string, NetnsScope>}
  /** For the client addresses: the interface and block asked for, and the IPv4 addresses already on it. */
  addresses?: {iface?: string; cidr?: string; present: string[]; canAdd: boolean; why?: string}
}

export interface PlanOptions {
  role: Role
  /** IPv6: source addresses come from one routed prefix, not aliases apply adds. */
  family?: Family
  allowLower: boolean
}

export interface PlanRow {
  id: string
  kind: ValueKind
  /** The key c1m acts on (the modern name). */
  key: string
  /** The name the document used, when the kernel now calls it something else. */
  renamedFrom?: string
  current?: string
  /** The value of the profile (published or computed). */
  wanted: string
  /** What c1m writes, for raise, set and lower. */
  value?: string
  action: Action
  why: string
  /** Why, as a code a program can match: `netns`, a value --netns leaves alone (not per namespace). */
  code?: 'netns'
  formula?: string
  source: ValueSource
  /** Addresses to add, for the addresses row. */
  add?: string[]
  /** For nofile rows with --user: the user limits.d names instead of `*`. */
  user?: string
  /** For the systemd row with --unit: the service (without `.service`) whose drop-in apply writes. */
  unit?: string
}

export type Comparison = 'equal' | 'higher' | 'lower'

/** What each outcome of the rule says, per kind of value. */
export interface RuleWords {
  equal: string
  raise: string
  lower: string
  keep: string
}

/**
 * The one rule of apply: raise a value that is lower than wanted, keep one that is equal or
 * higher, and lower a higher one only with --allow-lower. The caller supplies the words and,
 * for raise and lower, the value written.
 */
export function raiseKeepLower(cmp: Comparison, allowLower: boolean, words: RuleWords): {action: Action; why: string} {
  if (cmp === 'equal') return {action: 'keep', why: words.equal}
  if (cmp === 'higher') return {action: 'raise', why: words.raise}
  return allowLower ? {action: 'lower', why: words.lower} : {action: 'keep', why: words.keep}
}
