// A revert killed at any rmdir, rename or unlink leaves nothing the next run cannot finish: the
// next revert (or apply, then revert) gives back the tree byte for byte, with no empty
// /etc/modprobe.d or /var/lib/c1m left over. The kill is real: strace injects SIGKILL at the
// Nth call of the syscall.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {execa} from 'execa'

import {BIN, runCli as run} from './helpers.js'
import {makeSandbox, removeSandbox, treeSnapshot} from './sandbox-tree.js'

const APPLY = ['apply', '-p', 'million', '--conns', '1M', '--yes']
const hasStrace = (await execa('strace', ['-V'], {reject: false})).exitCode === 0

/** Run revert and kill it at the `nth` call of `syscall`. True when it was killed there. */
async function revertKilledAt(sb: string, syscall: string, nth: number): Promise<boolean> {
  const r = await execa('strace', ['-f', '-qq', '-o', '/dev/null', '-e', `trace=${syscall}`, '-e', `inject=${syscall}:signal=KILL:when=${nth}`, 'node', BIN, 'revert', '--root', sb], {reject: false, timeout: 60_000, env: {NO_COLOR: '1'}, stdin: 'ignore'})
  assert.ok(!r.timedOut)
  return r.exitCode !== 0
}

describe('a revert killed while removing what apply made is finished by the next run', {skip: !hasStrace && 'needs strace'}, () => {
  const points: [string, number][] = [...[1, 2, 3, 4, 5, 6].map((n): [string, number] => ['rmdir', n]), ...[1, 2, 3].map((n): [string, number] => ['rename', n]), ...[1, 2, 3, 4].map((n): [string, number] => ['unlink', n])]
  for (const [syscall, nth] of points) {
    for (const next of ['revert', 'apply']) {
      it(`killed at ${syscall} #${nth}, then ${next === 'revert' ? 'revert' : 'apply and revert'}: the tree as it was`, async () => {
        const sb = makeSandbox()
        try {
          const before = treeSnapshot(sb)
          assert.equal((await run([...APPLY, '--root', sb])).exit, 0)
          await revertKilledAt(sb, syscall, nth)
          if (next === 'apply') {
            const again = await run([...APPLY, '--root', sb])
            // 9: the record still names changes to undo, and apply says to revert first
            assert.ok([0, 9].includes(again.exit), again.stderr)
          }
          const out = await run(['revert', '--root', sb])
          assert.ok([0, 8].includes(out.exit), out.stderr)
          assert.deepEqual(treeSnapshot(sb), before)
        } finally {
          removeSandbox(sb)
        }
      })
    }
  }
})
