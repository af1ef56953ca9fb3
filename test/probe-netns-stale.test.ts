import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, symlinkSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {isOwnerAlive, parseProbeNetnsName, probeNetnsName} from '../src/host/netns.js'
import {readStartTime} from '../src/host/read/process-stat.js'
import {runJson} from './helpers.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'

const isRoot = process.getuid?.() === 0

async function namespaces(): Promise<string[]> {
  return (await execa('ip', ['netns', 'list'])).stdout.split('\n').map((line) => line.split(' ')[0]).filter(Boolean)
}

/** The PID of a process that has run and exited (and been reaped): no process has it now. */
function deadPid(): number {
  const pid = spawnSync('true').pid
  assert.equal(readStartTime(pid), undefined, `PID ${pid} was taken again at once`)
  return pid
}

const made: string[] = []
async function addNetns(name: string): Promise<string> {
  made.push(name)
  await execa('ip', ['netns', 'add', name], {timeout: 10_000})
  return name
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-netns-'))
after(async () => {
  for (const name of made) await execa('ip', ['netns', 'delete', name], {reject: false, timeout: 10_000})
  rmSync(dir, {recursive: true, force: true})
})

describe('probe namespaces left behind', {skip: isRoot ? false : 'needs root for namespaces'}, () => {
  it('deletes and names those whose owner is gone, and keeps one whose owner runs', async () => {
    const dead = deadPid()
    const pid1Start = readStartTime(1)!
    const stale = [
      await addNetns(`c1m-probe-${dead}`), // an older c1m's name
      await addNetns(`c1m-probe-${dead}-12345`),
      // a simulated client host and the NAT router of a killed `probe --client-hosts K --nat`
      await addNetns(`c1m-probe-${dead}-12345-c2`),
      await addNetns(`c1m-probe-${dead}-12345-nat`),
      // PID 1 runs, but not the process that started at this time: its PID was reused.
      await addNetns(`c1m-probe-1-${pid1Start + 1}`),
    ]
    const alive = await addNetns(probeNetnsName(process.pid))
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--conns', '1000', '--steps', '2', '--settle', '50ms'])
    assert.equal(exitCode, 0, stderr)
    const left = await namespaces()
    for (const name of stale) {
      assert.ok(!left.includes(name), `${name} is still there`)
      const pid = name.split('-')[2]
      assert.ok(envelope.warnings.includes(`removed stale namespace ${name} left by PID ${pid}`), `no word of ${name}: ${envelope.warnings.join('; ')}`)
    }
    assert.ok(left.includes(alive), 'the namespace of a running owner was deleted')
    assert.ok(!envelope.warnings.some((w) => w.includes(alive)))
    // The run had a namespace of its own, named for its own process, and deleted it.
    assert.match(envelope.result.isolation.netns ?? '', /^c1m-probe-\d+-\d+$/)
    assert.ok(!left.includes(envelope.result.isolation.netns!))
  })

  it('fails before starting anything when the namespace cannot be made, instead of using the host loopback', async () => {
    // A PATH with node and no `ip`: a host without iproute2.
    const bin = mkdtempSync(path.join(dir, 'bin-'))
    symlinkSync(process.execPath, path.join(bin, 'node'))
    const before = await namespaces()
    const {envelope, exitCode, stderr} = await runJson(['probe', '--conns', '1000', '--steps', '2'], {env: {PATH: bin}})
    assert.equal(exitCode, 9, stderr)
    assert.equal(envelope.error?.code, 'E_PREFLIGHT')
    assert.match(envelope.error!.message, /could not create the probe's network namespace: .*not installed/)
    assert.match(envelope.error!.suggestion!, /--no-netns/)
    assert.doesNotMatch(stderr, /starting|host loopback/)
    // Other probes may run on this host meanwhile: one this run left would have an owner that is gone.
    const leftBehind = (await namespaces()).filter((n) => !before.includes(n)).filter((n) => {
      const owner = parseProbeNetnsName(n)
      return owner !== undefined && !isOwnerAlive(owner)
    })
    assert.deepEqual(leftBehind, [])
  })
})
