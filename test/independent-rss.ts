// Runs c1m probe with a hook one second into its --hold, and an independent check of c1m's
// per-connection server figure made with it: the server tree's resident memory read from /proc
// by the test itself while c1m holds the connections, minus before, over N.
import {readFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Envelope} from './helpers.js'
import {childPids} from './server-helpers.js'
import {exitWithin, spawnC1m} from './spawn-c1m.js'

/** VmRSS of a process and all its descendants, in bytes. */
export function treeRssBytes(pid: number): number {
  let total = 0
  for (const p of [pid, ...descendants(pid)]) {
    try {
      total += Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) * 1024
    } catch {
      // gone meanwhile
    }
  }
  return total
}

function descendants(pid: number): number[] {
  const children = childPids(pid)
  return [...children, ...children.flatMap((c) => descendants(c))]
}

/**
 * Run `c1m probe ARGS --json` (ARGS with a --hold) and call `hook` one second after c1m says
 * "holding" on stderr; fails when the hold never came.
 */
export async function probeWithHoldHook<T>(args: string[], hook: () => Promise<void> | void): Promise<{envelope: Envelope<T>; exitCode: number; stderr: string}> {
  const probe = await spawnC1m(['probe', ...args, '--json'], {waitFor: /^holding /m, timeoutMs: 120_000})
  try {
    await sleep(1000)
    await hook()
  } finally {
    await exitWithin(probe, 120_000)
  }
  return {envelope: JSON.parse(probe.output.stdout) as Envelope<T>, exitCode: probe.child.exitCode ?? -1, stderr: probe.output.stderr}
}

/** The probe with --hold 6s, and the server tree's RSS growth per connection read during the hold. */
export async function probeWithIndependentRss<T>(args: string[], serverPid: number, conns: number): Promise<{envelope: Envelope<T>; exitCode: number; stderr: string; independentPerConn: number}> {
  const before = treeRssBytes(serverPid)
  let during = 0
  const run = await probeWithHoldHook<T>([...args, '--conns', String(conns), '--hold', '6s'], () => {
    during = treeRssBytes(serverPid)
  })
  return {...run, independentPerConn: (during - before) / conns}
}
