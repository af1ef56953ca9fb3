import {readFileSync, writeFileSync} from 'node:fs'

/**
 * net.ipv4.tcp_child_ehash_entries (Linux 5.19+): when non-zero, a network namespace created
 * now gets an established-connection hash table of its own with this many buckets, instead of
 * sharing the host's (sized at boot: 262144 here, chains of 8 at two million sockets). The
 * kernel reads it from the creating namespace only while `ip netns add` runs, so it is set just
 * for that and put back at once: it is a host-wide setting.
 */
export const CHILD_EHASH_PATH = '/proc/sys/net/ipv4/tcp_child_ehash_entries'

/** The kernel's upper bound for tcp_child_ehash_entries. */
const MAX_ENTRIES = 2 ** 24

/** Buckets for this many sockets: the next power of two, one socket a bucket, within the kernel's bounds. */
export function ehashEntriesFor(sockets: number): number {
  let entries = 1024
  while (entries < sockets && entries < MAX_ENTRIES) entries *= 2
  return entries
}

/** Run create with tcp_child_ehash_entries set to entries, then restore the old value whatever happens. */
export async function withChildEhash<T>(entries: number, create: () => Promise<T>, path = CHILD_EHASH_PATH): Promise<{result: T; previous: string}> {
  const previous = readFileSync(path, 'utf8').trim()
  writeFileSync(path, `${entries}\n`)
  try {
    return {result: await create(), previous}
  } finally {
    writeFileSync(path, `${previous}\n`)
  }
}
