import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import {checkProbeFits, type PreflightInput} from '../src/core/probe/preflight.js'
import {runJson} from './helpers.js'
import {makeSandbox, removeSandbox, SANDBOX_SYSCTL} from './sandbox-tree.js'

const sandbox = makeSandbox()
after(() => removeSandbox(sandbox))

/** `c1m probe --conns 2.5M` on the sandbox host: both ends of every connection on loopback. */
const probe: PreflightInput = {
  conns: 2_500_000,
  socketsPerConn: 2,
  processes: 6,
  engine: 'native',
  fileMax: Number(SANDBOX_SYSCTL['fs/file-max']),
  filesInUse: 2000,
  memAvailableBytes: 1024 ** 4,
  bytesPerSocket: 4300,
}

interface PlanRow {
  key?: string
  action: string
  value?: string
}

/** The apply command the refusal names, run as a dry run on the sandbox: the fs.file-max row it plans. */
async function plannedFileMax(suggestion: string): Promise<PlanRow> {
  const command = /\((c1m apply [^)]*)\)/.exec(suggestion)?.[1]
  assert.ok(command, `no apply command in: ${suggestion}`)
  const args = command.split(' ').slice(1)
  const {envelope, exitCode, stderr} = await runJson<{plan: PlanRow[]}>([...args, '--dry-run', '--root', sandbox])
  assert.equal(exitCode, 0, stderr)
  const row = envelope.result.plan.find((r) => r.key === 'fs.file-max')
  assert.ok(row, 'the plan has no fs.file-max row')
  return row
}

describe('a probe refused for fs.file-max names the apply command that really raises it', () => {
  it('probe --conns 2.5M: the command is for 2.5M loopback connections, and its plan raises fs.file-max past the need', async () => {
    const [problem] = checkProbeFits(probe)
    assert.match(problem.message, /fs\.file-max leaves/)
    assert.match(problem.suggestion, /c1m apply --profile million --conns 2500000 --role loopback/)
    const handles = probe.conns * probe.socketsPerConn + probe.processes * 16 + probe.filesInUse
    const row = await plannedFileMax(problem.suggestion)
    assert.equal(row.action, 'raise')
    assert.ok(Number(row.value) >= handles, `apply plans fs.file-max ${row.value}, fewer than the ${handles} handles the probe needs`)
    assert.match(problem.suggestion, new RegExp(`raise fs\\.file-max to ${row.value} `))
  })

  it('with many files already open, the command asks for enough that the plan still covers them', async () => {
    const busy = {...probe, conns: 1_200_000, filesInUse: 400_000}
    const [problem] = checkProbeFits(busy)
    const handles = busy.conns * 2 + busy.processes * 16 + busy.filesInUse
    const row = await plannedFileMax(problem.suggestion)
    assert.equal(row.action, 'raise')
    assert.ok(Number(row.value) >= handles, `apply plans fs.file-max ${row.value}, fewer than ${handles}`)
  })
})
