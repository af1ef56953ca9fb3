import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {setImmediate as tick} from 'node:timers/promises'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {CHILD_EHASH_PATH} from '../src/host/probe/child-ehash.js'
import {BIN, runJson} from './helpers.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'

// The host-wide net.ipv4.tcp_child_ehash_entries, really: a probe killed with the value set must
// not leave it changed for good. This test reads the host's value first and puts it back whatever
// happens (and asserts it is back).
const isRoot = process.getuid?.() === 0
const hasSetting = (() => {
  try {
    readFileSync(CHILD_EHASH_PATH)
    return true
  } catch {
    return false
  }
})()
const original = hasSetting ? readFileSync(CHILD_EHASH_PATH, 'utf8').trim() : ''
const current = () => readFileSync(CHILD_EHASH_PATH, 'utf8').trim()

after(async () => {
  if (!hasSetting || !isRoot) return
  if (current() !== original) writeFileSync(CHILD_EHASH_PATH, `${original}\n`)
  assert.equal(current(), original, 'tcp_child_ehash_entries was not put back')
})

/** Start `probe --own-ehash` and kill -9 it once the setting changed; false if it never did in time. */
async function killWhileSet(): Promise<{killed: boolean; pid: number}> {
  const child = execa('node', [BIN, 'probe', '--own-ehash', '--conns', '1000', '--steps', '2', '--settle', '50ms'], {reject: false, timeout: 60_000, stdin: 'ignore', env: {NO_COLOR: '1', C1M_PROBE_DIR: 'off'}})
  const deadline = performance.now() + 30_000
  let killed = false
  while (performance.now() < deadline && child.exitCode === null) {
    if (current() !== original) {
      child.kill('SIGKILL')
      killed = true
      break
    }
    await tick()
  }
  await child
  return {killed, pid: child.pid!}
}

describe('probe --own-ehash killed with the host setting changed', {skip: isRoot && hasSetting ? false : 'needs root and Linux 5.19+'}, () => {
  it('the next run puts the host value back, and says so', async () => {
    let attempt: {killed: boolean; pid: number} = {killed: false, pid: 0}
    // The window is the length of one `ip netns add`; a few tries catch it.
    for (let i = 0; i < 5 && !attempt.killed; i++) attempt = await killWhileSet()
    assert.ok(attempt.killed, 'never caught the probe with the setting changed')
    assert.notEqual(current(), original, 'the killed run left nothing to put back: the test caught it too late')
    const {envelope, exitCode, stderr} = await runJson(['probe', '--conns', '1000', '--steps', '2', '--settle', '50ms'], {timeout: 120_000})
    assert.equal(current(), original)
    assert.ok(envelope.warnings.some((w) => new RegExp(`^put net\\.ipv4\\.tcp_child_ehash_entries back to ${original}: PID ${attempt.pid} set it to \\d+ and was killed$`).test(w)), `${envelope.warnings.join('\n')}\n${stderr}`)
    // 1,000 connections may be too few for a kernel fit (13); nothing else may fail.
    assert.ok([0, 13].includes(exitCode), stderr)
    // Whether or not the killed run had made its namespace yet (the setting changes first), none is left.
    const left = (await execa('ip', ['netns', 'list'])).stdout
    assert.doesNotMatch(left, new RegExp(`c1m-probe-${attempt.pid}-`))
  })

  it('two runs at once leave the host value as it was', async () => {
    const probe = () => runJson<ProbeRunReport>(['probe', '--own-ehash', '--conns', '1000', '--steps', '2', '--settle', '50ms'], {timeout: 120_000})
    for (let i = 0; i < 3; i++) {
      const [a, b] = await Promise.all([probe(), probe()])
      for (const r of [a, b]) assert.equal(r.envelope.result.isolation?.ownEhash?.restored, original, r.stderr)
      assert.equal(current(), original, `try ${i + 1}: left at ${current()}`)
    }
  })
})
