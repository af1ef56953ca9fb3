import {spawn} from 'node:child_process'
import {closeSync, constants, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

/**
 * net.ipv4.tcp_child_ehash_entries (Linux 5.19+): when non-zero, a network namespace created
 * now gets an established-connection hash table of its own with this many buckets, instead of
 * sharing the host's (sized at boot: 262144 here, chains of 8 at two million sockets). The
 * kernel reads it from the creating namespace only while `ip netns add` runs, so it is set just
 * for that and put back at once: it is a host-wide setting.
 *
 * Because it is host-wide, runs take turns (flock(1) on a lock file, as apply does, released by
 * the kernel however the holder ends), and the value to put back is written to a record before
 * the setting changes. A run killed before putting it back leaves the record; the next run reads
 * it, under the same lock, and puts the value back.
 */
export const CHILD_EHASH_PATH = '/proc/sys/net/ipv4/tcp_child_ehash_entries'

/** Where the lock and the record live: /run, so a reboot (which resets the setting) clears them. */
export const CHILD_EHASH_STATE_DIR = '/run/c1m/child-ehash'

export interface ChildEhashPaths {
  /** The setting's file under /proc/sys. */
  sysctl: string
  /** The directory of the lock file and the record. */
  dir: string
}

const LIVE: ChildEhashPaths = {sysctl: CHILD_EHASH_PATH, dir: CHILD_EHASH_STATE_DIR}

/** The kernel's upper bound for tcp_child_ehash_entries. */
const MAX_ENTRIES = 2 ** 24

/** Longest a run waits for another to finish creating its namespace. */
const LOCK_WAIT_SECONDS = 60

/** Buckets for this many sockets: the next power of two, one socket a bucket, within the kernel's bounds. */
export function ehashEntriesFor(sockets: number): number {
  let entries = 1024
  while (entries < sockets && entries < MAX_ENTRIES) entries *= 2
  return entries
}

/** Take the lock (waiting for another run); resolves to the descriptor whose closing releases it. */
async function lock(dir: string): Promise<number> {
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const fd = openSync(path.join(dir, 'lock'), constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600)
  const status = await new Promise<number | null>((resolve) => {
    const child = spawn('flock', ['--exclusive', '--timeout', String(LOCK_WAIT_SECONDS), '--conflict-exit-code', '75', '3'], {stdio: ['ignore', 'ignore', 'ignore', fd]})
    child.on('error', () => resolve(null))
    child.on('exit', (code) => resolve(code))
  })
  if (status !== 0) {
    closeSync(fd)
    throw new Error(status === 75
      ? `another c1m probe held the tcp_child_ehash_entries lock (${dir}/lock) for ${LOCK_WAIT_SECONDS} s`
      : status === null ? 'flock(1) from util-linux is not installed' : `flock exited ${status}`)
  }
  return fd
}

interface EhashRecord {
  previous: string
  pid: number
}

function readRecord(dir: string): EhashRecord | undefined {
  let parsed: Partial<EhashRecord>
  try {
    parsed = JSON.parse(readFileSync(path.join(dir, 'record.json'), 'utf8'))
  } catch {
    return undefined
  }
  if (typeof parsed?.previous !== 'string' || !/^\d{1,9}$/.test(parsed.previous)) return undefined
  return {previous: parsed.previous, pid: Number.isSafeInteger(parsed.pid) ? parsed.pid! : 0}
}

/** Put back a value a killed run left set; the caller holds the lock. */
function restoreLeftover(paths: ChildEhashPaths): {restored: string; was: string; pid: number} | undefined {
  const record = readRecord(paths.dir)
  const file = path.join(paths.dir, 'record.json')
  if (!record) {
    try {
      unlinkSync(file) // unreadable or not a record: nothing to put back from it
    } catch {
      // none
    }
    return undefined
  }
  const was = readFileSync(paths.sysctl, 'utf8').trim()
  writeFileSync(paths.sysctl, `${record.previous}\n`)
  unlinkSync(file)
  return was === record.previous ? undefined : {restored: record.previous, was, pid: record.pid}
}

/**
 * Put back the value a killed probe left in tcp_child_ehash_entries, if its record says so;
 * returns what was put back, or undefined. Needs root.
 */
export async function restoreChildEhash(paths: ChildEhashPaths = LIVE): Promise<{restored: string; was: string; pid: number} | undefined> {
  const fd = await lock(paths.dir)
  try {
    return restoreLeftover(paths)
  } finally {
    closeSync(fd)
  }
}

/**
 * Run create with tcp_child_ehash_entries set to entries, then restore the old value whatever
 * happens, one run at a time, with the old value recorded first for a run that is killed.
 */
export async function withChildEhash<T>(entries: number, create: () => Promise<T>, paths: ChildEhashPaths = LIVE): Promise<{result: T; previous: string}> {
  const fd = await lock(paths.dir)
  try {
    restoreLeftover(paths)
    const previous = readFileSync(paths.sysctl, 'utf8').trim()
    const record = path.join(paths.dir, 'record.json')
    writeFileSync(`${record}.tmp`, JSON.stringify({previous, pid: process.pid}) + '\n', {mode: 0o600})
    renameSync(`${record}.tmp`, record)
    writeFileSync(paths.sysctl, `${entries}\n`)
    try {
      return {result: await create(), previous}
    } finally {
      writeFileSync(paths.sysctl, `${previous}\n`)
      unlinkSync(record)
    }
  } finally {
    closeSync(fd)
  }
}
