// Real `c1m client --json` results for the tests of probe --merge: a bundled server (node engine)
// on loopback and two client shards against it, each result as the client printed it.
import path from 'node:path'

import {REPO_ROOT, run} from './helpers.js'
import {startMatching, stopPids} from './server-helpers.js'

/** The stdout of `c1m client --shard I/2 --json` for I = 1, 2 (60 connections in all). */
export async function realClientResults(): Promise<string[]> {
  const {child, match} = await startMatching([path.join(REPO_ROOT, 'bin/run.js'), 'server', '--port', '0', '--engine', 'node'], 'stderr', /listening on ([\d.]+:\d+)/)
  try {
    const shard = (i: number) => run(['client', '--target', match[1], '--conns', '60', '--engine', 'node', '--shard', `${i}/2`, '--source-ports', '30000-39999', '--json'])
    const results = await Promise.all([shard(1), shard(2)])
    for (const r of results) if (r.exitCode !== 0) throw new Error(`client failed: ${r.stdout} ${r.stderr}`)
    return results.map((r) => r.stdout)
  } finally {
    await stopPids([child.pid!])
  }
}
