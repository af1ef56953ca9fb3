// An independent check of c1m's per-connection server figure: the server tree's resident memory
// read from /proc by the test itself while c1m holds the connections, minus before, over N.
import {readFileSync} from 'node:fs'

import {execa} from 'execa'

import type {Envelope} from './helpers.js'
import {BIN} from './helpers.js'
import {childPids} from './server-helpers.js'

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
 * Run `c1m probe ARGS --hold 6s --json` and read the server tree's RSS one second into the hold
 * (c1m says "holding" on stderr when it starts). Returns the report and the independent figure.
 */
export async function probeWithIndependentRss<T>(args: string[], serverPid: number, conns: number): Promise<{envelope: Envelope<T>; exitCode: number; stderr: string; independentPerConn: number}> {
  const before = treeRssBytes(serverPid)
  const child = execa('node', [BIN, 'probe', ...args, '--conns', String(conns), '--hold', '6s', '--json'], {reject: false, timeout: 120_000, env: {NO_COLOR: '1', C1M_PROBE_DIR: 'off'}, stdin: 'ignore'})
  let during: number | undefined
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    if (during === undefined && /^holding /m.test(stderr)) {
      during = -1
      setTimeout(() => {
        during = treeRssBytes(serverPid)
      }, 1000)
    }
  })
  const result = await child
  if (during === undefined || during < 0) throw new Error(`c1m never held the connections (exit ${result.exitCode}): ${stderr.slice(-500)}`)
  return {envelope: JSON.parse(result.stdout) as Envelope<T>, exitCode: result.exitCode ?? -1, stderr, independentPerConn: (during - before) / conns}
}
