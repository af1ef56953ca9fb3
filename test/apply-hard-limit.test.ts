// Raise-only holds for hard nofile limits: apply never writes a hard limit below the one
// systemd (or limits.conf) already gives.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {runCli as run} from './helpers.js'
import {makeSandbox, readSandbox, removeSandbox, treeSnapshot} from './sandbox-tree.js'

async function applyAndRevert(extra: Record<string, string>, conns: string, check: (sb: string) => void): Promise<void> {
  const sb = makeSandbox(extra)
  try {
    const before = treeSnapshot(sb)
    const out = await run(['apply', '-p', 'million', '--conns', conns, '--root', sb, '--yes', '--systemd-default'])
    assert.equal(out.exit, 0, out.stderr)
    check(sb)
    assert.equal((await run(['revert', '--root', sb])).exit, 0)
    assert.deepEqual(treeSnapshot(sb), before)
  } finally {
    removeSandbox(sb)
  }
}

describe('apply keeps a hard nofile limit that is already higher', () => {
  it('100k under systemd defaults: DefaultLimitNOFILE=101024:524288, and limits.d writes no lower hard line', () =>
    applyAndRevert({}, '100k', (sb) => {
      assert.match(readSandbox(sb, 'etc/systemd/system.conf.d/90-c1m.conf'), /^DefaultLimitNOFILE=101024:524288$/m)
      const limits = readSandbox(sb, 'etc/security/limits.d/90-c1m.conf')
      assert.match(limits, /^\* {4}soft nofile 101024$/m)
      assert.doesNotMatch(limits, /^\S+ +hard nofile/m)
    }))

  it('a configured hard limit of 2000000 is kept', () =>
    applyAndRevert({'etc/systemd/system.conf': '[Manager]\nDefaultLimitNOFILE=4096:2000000\n'}, '100k', (sb) => {
      assert.match(readSandbox(sb, 'etc/systemd/system.conf.d/90-c1m.conf'), /^DefaultLimitNOFILE=101024:2000000$/m)
    }))

  it('1M raises both, soft and hard', () =>
    applyAndRevert({}, '1M', (sb) => {
      assert.match(readSandbox(sb, 'etc/systemd/system.conf.d/90-c1m.conf'), /^DefaultLimitNOFILE=1001024:1001024$/m)
      assert.match(readSandbox(sb, 'etc/security/limits.d/90-c1m.conf'), /^\* {4}hard nofile 1001024$/m)
    }))
})
