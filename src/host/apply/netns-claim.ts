import {lstatSync, mkdirSync, rmdirSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {C1mError} from '../../core/errors.js'
import {type NetnsId, STATE_FILE} from '../../core/profile/apply-state.js'
import {readTrustedFile} from '../files/trusted-file.js'

// A namespace has one apply at a time, whatever --root keeps its record: two records for one
// namespace would each restore the value the other set. The claim is a file per namespace under
// /run (which, like /run/netns, does not outlive a boot), made with O_EXCL, naming the root
// whose record holds the namespace's apply. It is stale once that record is gone or the
// namespace was made again.
export const CLAIM_DIR = '/run/c1m/netns'
const claimFile = (name: string) => `${CLAIM_DIR}/${name}.json`

interface Claim {
  root: string
  dev: number
  ino: number
}

/** A file of this user's that no one else may write, never through a final link or a FIFO. */
function readOwn(file: string): string {
  const read = readTrustedFile(file, process.geteuid?.() ?? 0)
  if ('refused' in read) throw new Error(`${file}: ${read.refused}`)
  return read.text
}

function readClaim(name: string): Claim | undefined {
  try {
    const parsed = JSON.parse(readOwn(claimFile(name))) as Claim
    return typeof parsed.root === 'string' && Number.isSafeInteger(parsed.dev) && Number.isSafeInteger(parsed.ino) ? parsed : undefined
  } catch {
    return undefined
  }
}

/**
 * Claim namespace `name` for an apply whose record is kept under `rootDir` (an absolute, resolved
 * path), or refuse in one line naming the root that holds it. A claim whose record is gone, or
 * that names an earlier namespace of that name, is replaced.
 */
export function claimNetns(name: string, rootDir: string, id: NetnsId): void {
  mkdirSync(CLAIM_DIR, {recursive: true, mode: 0o700})
  const stat = lstatSync(CLAIM_DIR)
  if (!stat.isDirectory() || stat.uid !== process.geteuid?.() || (stat.mode & 0o022) !== 0) {
    throw new C1mError('E_UNSAFE_PATH', `${CLAIM_DIR} is not a directory of this user's that only it may write; nothing was changed`, `remove it (c1m makes it again, mode 0700)`)
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(claimFile(name), JSON.stringify({root: rootDir, ...id}) + '\n', {flag: 'wx', mode: 0o600})
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const held = readClaim(name)
    const live = held && held.dev === id.dev && held.ino === id.ino && recordNames(held.root, name)
    if (live) {
      const where = held.root === '/' ? '' : ` --root ${held.root}`
      throw new C1mError('E_PREFLIGHT', `network namespace ${name} already has an apply recorded in ${path.join(held.root, STATE_FILE)}; nothing was changed`, `run \`c1m revert${where}\` first`)
    }
    rmSync(claimFile(name), {force: true})
  }
  throw new C1mError('E_LOCKED', `another c1m is claiming network namespace ${name}; nothing was changed`, 'wait for it to finish, then run this again')
}

/** Does the record under `rootDir` (still) name namespace `name`? */
function recordNames(rootDir: string, name: string): boolean {
  try {
    return (JSON.parse(readOwn(path.join(rootDir, STATE_FILE))) as {netns?: unknown}).netns === name
  } catch {
    return false
  }
}

/**
 * Drop the claim on `name` once the record under `rootDir` that holds it is gone (after a
 * revert, a forget, or an apply that failed and rolled back). A record kept for revert keeps it.
 */
export function releaseNetns(name: string, rootDir: string): void {
  if (readClaim(name)?.root !== rootDir || recordNames(rootDir, name)) return
  rmSync(claimFile(name), {force: true})
  for (const dir of [CLAIM_DIR, path.dirname(CLAIM_DIR)]) {
    try {
      rmdirSync(dir)
    } catch {
      break // not empty: other claims
    }
  }
}
