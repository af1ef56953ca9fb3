// One namespace, one apply: a second apply into the same --netns with another --root (its
// record kept elsewhere) is refused until the first is reverted, so the two records can never
// restore each other's values. A real namespace, made and deleted by the test.
import assert from 'node:assert/strict'
import {existsSync, rmSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'

import {execa} from 'execa'

import {makeSandbox, removeSandbox, treeSnapshot} from './sandbox-tree.js'
import {runCli as run} from './helpers.js'

const NS = `c1m-claim-${process.pid}`
const CLAIM = `/run/c1m/netns/${NS}.json`
const skip = process.getuid?.() === 0 ? false : 'needs root for ip netns'

const inNs = async (file: string) => (await execa('ip', ['netns', 'exec', NS, 'cat', `/proc/sys/${file}`])).stdout
const APPLY = ['apply', '-p', 'million', '--role', 'loopback', '--netns', NS, '--yes']

/** Two sandbox roots for one test, removed afterwards. */
async function withTwoRoots(test: (a: string, b: string) => Promise<void>): Promise<void> {
  const [a, b] = [makeSandbox(), makeSandbox()]
  try {
    await test(a, b)
  } finally {
    removeSandbox(a)
    removeSandbox(b)
  }
}

/** Revert the apply from `root`: it succeeds, gives the namespace's somaxconn back and drops the claim. */
async function revertGivesBack(root: string, original: string): Promise<void> {
  assert.equal((await run(['revert', '--root', root])).exit, 0)
  assert.equal(await inNs('net/core/somaxconn'), original)
  assert.ok(!existsSync(CLAIM), 'revert drops the claim')
}

describe('apply --netns: a namespace has one record, whatever the --root', {skip}, () => {
  before(async () => {
    await execa('ip', ['netns', 'add', NS])
  })
  after(async () => {
    await execa('ip', ['netns', 'del', NS], {reject: false})
    rmSync(CLAIM, {force: true}) // only if a failed test left it
    const {stdout} = await execa('ip', ['netns', 'list'])
    assert.doesNotMatch(stdout, new RegExp(`\\b${NS}\\b`), 'the test namespace was left behind')
  })

  it('refuses a second apply from another root in one line until the first is reverted; both reverts give back the namespace', async () => withTwoRoots(async (a, b) => {
    const original = await inNs('net/core/somaxconn')
    assert.equal((await run([...APPLY, '--conns', '1M', '--root', a])).exit, 0)
    const applied = await inNs('net/core/somaxconn')
    assert.notEqual(applied, original)

    const bBefore = treeSnapshot(b)
    // More connections: it has values to change (an apply that changes nothing records nothing).
    const second = await run([...APPLY, '--conns', '2M', '--root', b])
    assert.equal(second.exit, 9, second.stderr)
    assert.equal(second.stderr.trim().split('\n').length, 1, second.stderr)
    assert.match(second.stderr, new RegExp(`network namespace ${NS} already has an apply recorded in .*${a.split('/').at(-1)}/var/lib/c1m/state\\.json; nothing was changed; run \`c1m revert --root .*\` first`))
    assert.deepEqual(treeSnapshot(b), bBefore)
    assert.equal(await inNs('net/core/somaxconn'), applied)
    assert.ok(existsSync(CLAIM), 'the claim stays while the record does')

    await revertGivesBack(a, original)

    // Now b may apply, and its revert gives back the namespace as it was before both.
    assert.equal((await run([...APPLY, '--conns', '1M', '--root', b])).exit, 0)
    await revertGivesBack(b, original)
  }))

  it('revert --forget drops the claim with the record, so the next apply from another root goes ahead', async () => withTwoRoots(async (a, b) => {
    const original = await inNs('net/core/somaxconn')
    assert.equal((await run([...APPLY, '--conns', '1M', '--root', a])).exit, 0)
    assert.equal((await run(['revert', '--forget', '--root', a])).exit, 0)
    assert.ok(!existsSync(CLAIM))
    // Forget undoes nothing: put the namespace's value back by hand, so b has something to change.
    await execa('ip', ['netns', 'exec', NS, 'sh', '-c', `echo ${original} > /proc/sys/net/core/somaxconn`])
    assert.equal((await run([...APPLY, '--conns', '1M', '--root', b])).exit, 0)
    assert.ok(existsSync(CLAIM))
    await revertGivesBack(b, original)
  }))
})
