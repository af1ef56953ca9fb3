import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {setImmediate as tick, setTimeout as sleep} from 'node:timers/promises'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {BIN} from './helpers.js'
import {eventually} from './spawn-c1m.js'

// A double Ctrl-C while the probe is setting up its namespace: the first SIGINT asks it to finish,
// the second exits at once (130). The namespace must go with it, not wait for the next run.
const isRoot = process.getuid?.() === 0

function ours(pid: number): string[] {
  try {
    return readdirSync('/run/netns').filter((name) => name.startsWith(`c1m-probe-${pid}-`))
  } catch {
    return []
  }
}

/** Processes still running whose command line names one of the run's namespaces (an `ip netns` it ran). */
function namingOurs(pid: number): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`c1m-probe-${pid}-`)
    } catch {
      return false // gone meanwhile
    }
  }).map(Number)
}

const started: number[] = []
after(async () => {
  // Whatever a failed try left is deleted here, so the test leaves no namespace either way.
  for (const pid of started) for (const name of ours(pid)) await execa('ip', ['netns', 'delete', name], {reject: false, timeout: 10_000})
})

/** Start a probe, send one SIGINT or two 20 ms apart as soon as its namespace exists; what it left. */
async function interrupt(times: 1 | 2): Promise<{pid: number; exitCode?: number; sawNetns: boolean; left: string[]}> {
  const child = execa('node', [BIN, 'probe', '--conns', '20000', '--steps', '3'], {reject: false, timeout: 60_000, stdin: 'ignore', env: {NO_COLOR: '1', C1M_PROBE_DIR: 'off'}})
  started.push(child.pid!)
  const deadline = performance.now() + 30_000
  let sawNetns = false
  while (performance.now() < deadline && child.exitCode === null) {
    if (ours(child.pid!).length > 0) {
      sawNetns = true
      break
    }
    await tick()
  }
  child.kill('SIGINT')
  if (times === 2) {
    await sleep(20)
    child.kill('SIGINT')
  }
  const result = await child
  // The `ip` a killed run started may finish after it: look once each has finished.
  await eventually(() => namingOurs(child.pid!).length === 0, {timeoutMs: 10_000}).catch(() => undefined)
  return {pid: child.pid!, exitCode: result.exitCode, sawNetns, left: ours(child.pid!)}
}

describe('a double Ctrl-C during set-up', {skip: isRoot ? false : 'needs root for namespaces'}, () => {
  it('leaves no namespace behind (three tries)', async () => {
    for (let i = 0; i < 3; i++) {
      const run = await interrupt(2)
      assert.ok(run.sawNetns, `try ${i + 1}: the probe ended before it made its namespace (exit ${run.exitCode})`)
      assert.deepEqual(run.left, [], `try ${i + 1}: PID ${run.pid} (exit ${run.exitCode}) left ${run.left.join(', ')}`)
    }
    const {stdout} = await execa('ip', ['netns', 'list'])
    for (const pid of started) assert.doesNotMatch(stdout, new RegExp(`^c1m-probe-${pid}-`, 'm'))
  })

  it('one Ctrl-C during set-up ends the run as interrupted (130), not as a failed probe, and deletes it', async () => {
    const run = await interrupt(1)
    assert.ok(run.sawNetns)
    assert.equal(run.exitCode, 130)
    assert.deepEqual(run.left, [])
  })
})
