// After `c1m apply --profile NAME` into a sandbox copy of a saved host, `c1m doctor
// --profile NAME` on the same tree finds every value of the profile in place.
import assert from 'node:assert/strict'
import {cpSync, mkdtempSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'


import type {CheckResult} from '../src/core/doctor/check.js'
import {removeSandbox, REPO_ROOT} from './sandbox-tree.js'
import {runCli as run} from './helpers.js'


async function profileResults(dir: string, profile: string, extra: string[] = []): Promise<CheckResult[]> {
  const out = await run(['doctor', '--root', dir, '--profile', profile, ...extra, '--fail-on', 'none', '--json'])
  assert.equal(out.exit, 0, out.stderr)
  const envelope = JSON.parse(out.stdout) as {result: {results: CheckResult[]}}
  return envelope.result.results.filter((r) => r.area === 'profile')
}

function copyFixture(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-apply-doctor-'))
  cpSync(path.join(REPO_ROOT, 'test/fixtures', name), dir, {recursive: true})
  return dir
}


describe('c1m doctor --profile after c1m apply', () => {
  for (const [profile, flags] of [
    ['million', ['--conns', '1e6']],
    ['million', ['--conns', '2M', '--role', 'loopback']],
    ['go-1m-epoll', []],
    ['mochiweb-part3', []],
  ] as const) {
    it(`${profile} ${flags.join(' ')}: fails before apply, passes after`, async () => {
      const dir = copyFixture('stock-modern')
      try {
        const before = await profileResults(dir, profile, [...flags])
        assert.ok(before.some((r) => r.status === 'fail'), 'a stock host should not already hold the profile')
        // doctor without --unit checks DefaultLimitNOFILE, which apply writes with --systemd-default
        const applied = await run(['apply', '--profile', profile, '--root', dir, '--yes', '--systemd-default', ...flags])
        assert.equal(applied.exit, 0, applied.stderr)
        const after = await profileResults(dir, profile, [...flags])
        const failing = after.filter((r) => r.status !== 'pass' && r.status !== 'skip')
        assert.deepEqual(failing.map((r) => `${r.id}: ${r.status} ${r.current} ${r.reason}`), [])
        assert.ok(after.filter((r) => r.status === 'pass').length >= 5)
        // every skip says why (a removed key, a value for another role, systemd absent...)
        for (const r of after.filter((x) => x.status === 'skip')) assert.ok(r.reason, `${r.id} skipped without a reason`)
      } finally {
        removeSandbox(dir)
      }
    })
  }

  it('an unknown profile is a usage error', async () => {
    const out = await run(['doctor', '--root', path.join(REPO_ROOT, 'test/fixtures/stock-modern'), '--profile', 'nope'])
    assert.equal(out.exit, 2)
    assert.match(out.stderr, /no profile named "nope"/)
  })
})
