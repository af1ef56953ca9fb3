// A namespace that went away or was made again under the same name: revert refuses it and
// `revert --forget` is the way out. A malformed --netns is a usage error.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {execa} from 'execa'

import type {RevertResult} from '../src/commands/revert.js'
import {runCli as run} from './helpers.js'
import {makeSandbox, removeSandbox} from './sandbox-tree.js'

const NS = `c1m-ident-${process.pid}`
const inNs = async (...args: string[]) => (await execa('ip', ['netns', 'exec', NS, ...args])).stdout

describe('apply --netns names a namespace', () => {
  for (const bad of ['', '../x', 'a b', '.', 'x/y']) {
    it(`--netns ${JSON.stringify(bad)} is a usage error`, async () => {
      const out = await run(['apply', '-p', 'million', '--netns', bad, '--yes'])
      assert.equal(out.exit, 2, out.stderr)
      assert.match(out.stderr, /--netns .* is not a namespace name.*\[E_USAGE, exit 2\]/)
    })
  }
})

describe('revert checks the namespace is the one the apply was made in', {skip: process.getuid?.() === 0 ? false : 'needs root for ip netns'}, () => {
  before(async () => {
    await execa('ip', ['netns', 'add', NS])
  })
  after(async () => {
    await execa('ip', ['netns', 'del', NS], {reject: false})
    assert.doesNotMatch((await execa('ip', ['netns', 'list'])).stdout, new RegExp(`\\b${NS}\\b`), 'the test namespace was left behind')
  })

  it('a re-created namespace is refused and left alone; --forget --json drops the record and lists each change', async () => {
    const sb = makeSandbox()
    try {
      const applied = await run(['apply', '-p', 'million', '--role', 'loopback', '--netns', NS, '--root', sb, '--yes'])
      assert.equal(applied.exit, 0, applied.stderr)
      await execa('ip', ['netns', 'del', NS])
      await execa('ip', ['netns', 'add', NS])
      const fresh = await inNs('cat', '/proc/sys/net/core/somaxconn')
      const out = await run(['revert', '--root', sb])
      assert.equal(out.exit, 9, out.stderr)
      assert.match(out.stderr, new RegExp(`network namespace ${NS} is not the one the apply was made in.*c1m revert --forget --root`))
      assert.equal(await inNs('cat', '/proc/sys/net/core/somaxconn'), fresh, 'nothing was written into the new namespace')
      const forgot = await run<RevertResult>(['revert', '--forget', '--root', sb, '--json'])
      assert.equal(forgot.exit, 0, forgot.stderr)
      assert.deepEqual(forgot.result!.restored, [])
      assert.ok(forgot.result!.forgotten!.some((l) => l === `sysctl net.core.somaxconn = 16384 in namespace ${NS} (was 4096)`), forgot.stdout)
      assert.equal(forgot.result!.forgotten!.filter((l) => l.startsWith('sysctl ')).length, 4)
      assert.equal((await run(['revert', '--root', sb])).exit, 8, 'the record is gone')
    } finally {
      removeSandbox(sb)
    }
  })

  it('a deleted namespace: revert says so and points to --forget, which prints what it drops', async () => {
    const sb = makeSandbox()
    try {
      assert.equal((await run(['apply', '-p', 'million', '--role', 'loopback', '--netns', NS, '--root', sb, '--yes'])).exit, 0)
      await execa('ip', ['netns', 'del', NS])
      const out = await run(['revert', '--root', sb])
      assert.equal(out.exit, 9, out.stderr)
      assert.match(out.stderr, /which no longer exists.*c1m revert --forget/)
      const forgot = await run(['revert', '--forget', '--root', sb])
      assert.equal(forgot.exit, 0, forgot.stderr)
      assert.match(forgot.stdout, /Forgot the record .*nothing was undone/)
      assert.match(forgot.stdout, /^ {2}sysctl net\.ipv4\.ip_local_port_range = 1024 65535 in namespace .* \(was 32768 60999\)$/m)
    } finally {
      await execa('ip', ['netns', 'add', NS], {reject: false})
      removeSandbox(sb)
    }
  })
})
