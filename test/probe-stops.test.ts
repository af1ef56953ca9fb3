import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {probeNetnsName} from '../src/host/netns.js'
import {REPO_ROOT} from './helpers.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'

const isRoot = process.getuid?.() === 0
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-stops-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/**
 * A 30-step probe of 30k connections writing --out, as the leader of a process group of its
 * own (so a signal can go to it and its probe processes together, as Ctrl-C in a terminal
 * does); `atStep` runs once its stderr shows `step K/30`. Killed after 60 s whatever happens.
 */
async function runProbeUntil(step: number, atStep: (pid: number, children: number[]) => void) {
  const out = path.join(dir, `probe-${Math.random().toString(36).slice(2)}.json`)
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/run.js'), 'probe', '--conns', '30k', '--steps', '30', '--settle', '200ms', '--out', out], {stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: {...process.env, NO_COLOR: '1', C1M_PROBE_DIR: 'off'}})
  const pid = child.pid!
  const output = {stdout: '', stderr: ''}
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  const limit = setTimeout(() => process.kill(-pid, 'SIGKILL'), 60_000)
  let netns = ''
  let children: number[] = []
  child.stdout!.on('data', (chunk) => (output.stdout += chunk))
  child.stderr!.on('data', (chunk) => {
    output.stderr += chunk
    if (children.length === 0 && new RegExp(`step ${step}/30`).test(output.stderr)) {
      netns = probeNetnsName(pid)
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').map(Number)
      atStep(pid, children)
    }
  })
  const code = await exited
  clearTimeout(limit)
  return {code, output, children, netns, report: existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as ProbeRunReport) : undefined}
}

/** Every sample kept was taken with every probe process alive and holding memory. */
function assertSamplesWhole(report: ProbeRunReport): void {
  assert.ok(report.samples.length >= 4, `${report.samples.length} samples`)
  for (const sample of report.samples) {
    assert.ok(sample.server.rss > 0 && sample.client.rss > 0, `a sample at ${sample.conns} connections has servers ${sample.server.rss} B, clients ${sample.client.rss} B`)
  }
  assert.deepEqual(report.samples.map((s) => s.conns), report.samples.map((_, i) => i * 1000))
}

async function assertNothingLeft(children: number[], netns: string): Promise<void> {
  assert.equal(children.length > 0, true)
  for (const pid of children) assert.equal(existsSync(`/proc/${pid}`), false, `probe process ${pid} is still there`)
  if (isRoot) assert.ok(!(await execa('ip', ['netns', 'list'])).stdout.includes(netns), `${netns} is left behind`)
}

describe('c1m probe when its processes stop under it', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} to the whole process group mid-ramp keeps only samples taken with every process alive, and says the fit is no measurement`, async () => {
      const {code, output, children, netns, report} = await runProbeUntil(3, (pid) => setTimeout(() => process.kill(-pid, signal), 100))
      assert.equal(code, 130, output.stderr)
      assert.ok(report, 'no --out report')
      assert.equal(report.stopped, 'interrupted')
      assertSamplesWhole(report)
      assert.ok(report.fit.problems?.includes('the run stopped early: interrupted'), String(report.fit.problems))
      assert.match(output.stdout, /^not a measurement: the run stopped early: interrupted$/m)
      await assertNothingLeft(children, netns)
    })
  }

  it('a killed echo server ends the run with exit 10 and a report of what was measured, naming the process and its signal', async () => {
    let server = 0
    const {code, output, children, netns, report} = await runProbeUntil(3, (_, started) => {
      server = started.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('echo-server'))!
      process.kill(server, 'SIGKILL')
    })
    assert.equal(code, 10, output.stderr)
    assert.ok(report, 'no --out report')
    assert.match(report.stopped ?? '', new RegExp(`^echo server 1 \\(.*\\) exited \\(SIGKILL\\), PID ${server}$`))
    assertSamplesWhole(report)
    assert.ok(report.fit.problems?.includes(`the run stopped early: ${report.stopped}`))
    assert.match(output.stderr, /^c1m: the ramp stopped early: echo server 1 .*SIGKILL.* \[E_PROBE_FAILED, exit 10\]$/m)
    await assertNothingLeft(children, netns)
  })
})
