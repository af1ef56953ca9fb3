import type {Family, Role} from '../needs.js'

/** Where one value came from: the document and its section, and the line of the profile that holds it. */
export interface ValueSource {
  /** Profile that set the value (after includes, the one that won). */
  profile: string
  /** Document file name under shared/seeds, or the c1m model for computed values. */
  file: string
  title?: string
  year?: number
  section: string
  note?: string
  /** `profiles/NAME.yaml:LINE` of the value. */
  at: string
  /** Set when the value is c1m's own, not the document's (`own:` in the profile): why c1m adds it. */
  own?: string
}

export type ValueKind = 'sysctl' | 'nofile' | 'systemd' | 'addresses'

/**
 * One value of a profile, flattened so that merge, plan, show and doctor treat every
 * section alike. `id` is what a later profile overrides: `sysctl net.core.somaxconn`,
 * `nofile soft`, `nofile hard`, `systemd DefaultLimitNOFILE`, `addresses count`.
 */
export interface ProfileValue {
  id: string
  kind: ValueKind
  /** sysctl name, `soft`/`hard`, `DefaultLimitNOFILE` or `count`. */
  key: string
  /** The value as published, whitespace-normalised; absent when computed. */
  value?: string
  /** Name of a formula of the c1m model (see COMPUTE in resolve-profile.ts). */
  compute?: string
  /** The formula in words, for computed values. */
  formula?: string
  /** Roles the value applies to; all roles when absent. */
  roles?: Role[]
  /** The IP family the value applies to; both when absent. */
  family?: Family
  /** For `addresses`: the addresses the document used, as it wrote them. */
  example?: string
  source: ValueSource
}

export interface ProfileDoc {
  file: string
  title?: string
  year?: number
}

/** A profile file, parsed and validated, before includes are merged. */
export interface ProfileFile {
  name: string
  summary: string
  source: ProfileDoc
  include: {name: string; at: string}[]
  values: ProfileValue[]
  /** profiles/NAME.yaml */
  path: string
}

/** A profile with its includes merged: later wins, each value keeps its own source. */
export interface Profile {
  name: string
  summary: string
  source: ProfileDoc
  /** Names of the profiles merged, in order, this one last. */
  chain: string[]
  values: ProfileValue[]
  path: string
}

/** A value with a concrete setting for one target (conns, role, RAM). */
export interface ResolvedValue extends ProfileValue {
  value: string
}
