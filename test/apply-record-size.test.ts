// Apply never makes a record that revert would refuse: a large file it would replace (whose
// bytes the record keeps) stops apply before anything changes.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {runCli as run} from './helpers.js'
import {makeSandbox, removeSandbox, treeSnapshot} from './sandbox-tree.js'

/** An admin's sysctl file of about `mib` MiB (comment lines). */
const bigConf = (mib: number) => '# kept by hand: net.core.somaxconn history\n'.repeat(Math.ceil((mib * 1024 * 1024) / 43))

describe('apply refuses, before changing anything, a record revert would refuse', () => {
  for (const mib of [13, 3.5]) {
    it(`a ${mib} MiB /etc/sysctl.d/90-c1m.conf: one line, exit 9, the tree as it was`, async () => {
      const sb = makeSandbox({'etc/sysctl.d/90-c1m.conf': bigConf(mib)})
      try {
        const before = treeSnapshot(sb)
        const out = await run(['apply', '-p', 'million', '--conns', '1M', '--root', sb, '--yes'], {timeout: 120_000})
        assert.equal(out.exit, 9, out.stderr)
        assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr)
        assert.match(out.stderr, /90-c1m\.conf under .* too large for the apply record .*nothing was changed.*\[E_PREFLIGHT, exit 9\]/)
        assert.deepEqual(treeSnapshot(sb), before)
      } finally {
        removeSandbox(sb)
      }
    })
  }

  it('a 2.5 MiB one is kept whole in the record and put back by revert', async () => {
    const sb = makeSandbox({'etc/sysctl.d/90-c1m.conf': bigConf(2.5)})
    try {
      const before = treeSnapshot(sb)
      assert.equal((await run(['apply', '-p', 'million', '--conns', '1M', '--root', sb, '--yes'], {timeout: 120_000})).exit, 0)
      const out = await run(['revert', '--root', sb], {timeout: 120_000})
      assert.equal(out.exit, 0, out.stderr)
      assert.deepEqual(treeSnapshot(sb), before)
    } finally {
      removeSandbox(sb)
    }
  })
})
