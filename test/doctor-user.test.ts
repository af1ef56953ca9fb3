import assert from 'node:assert/strict'
import {cpSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {FIXTURES, run, runJson} from './helpers.js'
import {makeSandbox, readSandbox, removeSandbox} from './sandbox-tree.js'

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n'
const sandbox = makeSandbox({'etc/passwd': PASSWD})
const capped = mkdtempSync(path.join(os.tmpdir(), 'c1m-capped-'))
after(() => {
  removeSandbox(sandbox)
  rmSync(capped, {recursive: true, force: true})
})

interface DoctorResult {
  results: Array<{id: string; status: string; current: string}>
}

async function statuses(args: string[]): Promise<Record<string, string>> {
  const {envelope, stderr} = await runJson<DoctorResult>(['doctor', ...args])
  assert.ok(envelope.result, stderr)
  return Object.fromEntries(envelope.result.results.map((r) => [r.id, r.status]))
}

describe('doctor --user after apply --user', () => {
  it('apply --user app, then doctor --profile million --user app: the limits.d checks pass', async () => {
    const applied = await run(['apply', '--root', sandbox, '--profile', 'million', '--user', 'app', '--yes'])
    assert.equal(applied.exitCode, 0, applied.stderr)
    assert.match(readSandbox(sandbox, 'etc/security/limits.d/90-c1m.conf'), /^app soft nofile 1001024$/m)
    const withUser = await statuses(['--root', sandbox, '--profile', 'million', '--user', 'app'])
    assert.equal(withUser['profile.nofile.soft'], 'pass')
    assert.equal(withUser['profile.nofile.hard'], 'pass')
    assert.equal(withUser['fd.limits-conf'], 'pass')
    // Without --user doctor checks `*`, which apply --user did not write: the two FAILs the user met.
    const without = await statuses(['--root', sandbox, '--profile', 'million'])
    assert.equal(without['profile.nofile.soft'], 'fail')
    assert.equal(without['profile.nofile.hard'], 'fail')
  })

  it('doctor --user of a user the tree does not have, or not a user name: one line, exit 2', async () => {
    const missing = await run(['doctor', '--root', sandbox, '--user', 'nobody-here'])
    assert.equal(missing.exitCode, 2)
    assert.match(missing.stderr.trim(), /^c1m: --user nobody-here does not exist in .*etc\/passwd; .*\[E_USAGE, exit 2\]$/)
    const bad = await run(['doctor', '--root', sandbox, '--user', 'a b'])
    assert.equal(bad.exitCode, 2)
    assert.match(bad.stderr.trim(), /^c1m: --user "a b" is not a user name/)
  })
})

describe('apply in a container whose hard nofile is capped', () => {
  it('says that logging in again cannot fix the cap, in the plan and at the end', async () => {
    cpSync(path.join(FIXTURES, 'container-capped'), capped, {recursive: true})
    rmSync(path.join(capped, 'etc/security/limits.d'), {recursive: true, force: true})
    writeFileSync(path.join(capped, 'etc/passwd'), PASSWD)
    const plan = await runJson(['apply', '--root', capped, '--profile', 'million', '--user', 'app', '--dry-run'])
    assert.equal(plan.exitCode, 0, plan.stderr)
    const warning = plan.envelope.warnings.find((w) => w.includes('logging in again'))
    assert.ok(warning, `no warning about the cap in ${JSON.stringify(plan.envelope.warnings)}`)
    assert.match(warning, /hard nofile limit here is 20,000 and cannot be raised \(it runs as root but without CAP_SYS_RESOURCE.*logging in again will not lift a session past 20,000; raise it where the container is started \(docker run --ulimit nofile=1001024:1001024\)/)
    const applied = await run(['apply', '--root', capped, '--profile', 'million', '--user', 'app', '--yes'])
    assert.equal(applied.exitCode, 0, applied.stderr)
    assert.match(applied.stderr, /^warning: the hard nofile limit here is 20,000/m)
    assert.match(applied.stdout, /logging in again does not lift it\.$/m)
    assert.doesNotMatch(applied.stdout, /; log in again\./)
  })

  it('where the hard limit is not capped (a tree without /proc/self) apply says to log in again', async () => {
    const tree = makeSandbox({'etc/passwd': PASSWD})
    try {
      const applied = await run(['apply', '--root', tree, '--profile', 'million', '--user', 'app', '--yes'])
      assert.equal(applied.exitCode, 0, applied.stderr)
      assert.match(applied.stdout, /limits\.d applies to new login sessions \(ssh, su\); log in again\./)
      assert.doesNotMatch(applied.stderr, /logging in again/)
    } finally {
      removeSandbox(tree)
    }
  })
})
