// Apply inside a real network namespace this test creates and deletes: the namespace's
// somaxconn and port range change, the host's do not, and revert puts them back.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'

import {execa} from 'execa'

import type {ApplyResult} from '../src/commands/apply.js'
import {makeSandbox, removeSandbox} from './sandbox-tree.js'
import {runCli as run} from './helpers.js'

const NS = `c1m-test-${process.pid}`
const canRun = process.getuid?.() === 0 ? false : 'needs root for ip netns'


async function inNs(...args: string[]): Promise<string> {
  return (await execa('ip', ['netns', 'exec', NS, ...args])).stdout
}

const host = (file: string) => readFileSync(`/proc/sys/${file}`, 'utf8')

describe('c1m apply --netns', {skip: canRun}, () => {
  before(async () => {
    await execa('ip', ['netns', 'add', NS])
  })
  after(async () => {
    await execa('ip', ['netns', 'del', NS], {reject: false})
    const {stdout} = await execa('ip', ['netns', 'list'])
    assert.doesNotMatch(stdout, new RegExp(`\\b${NS}\\b`), 'the test namespace was left behind')
  })

  it('sets somaxconn and the port range inside the namespace, not on the host, and revert restores them', async () => {
    const state = makeSandbox()
    try {
      const hostBefore = [host('net/core/somaxconn'), host('net/ipv4/ip_local_port_range'), host('fs/file-max')]
      const nsBefore = [await inNs('cat', '/proc/sys/net/core/somaxconn'), await inNs('cat', '/proc/sys/net/ipv4/ip_local_port_range')]
      assert.notEqual(nsBefore[0], '16384')

      const out = await run<ApplyResult>(['apply', '-p', 'million', '--role', 'loopback', '--conns', '1e6', '--netns', NS, '--root', state, '--yes', '--json'])
      assert.equal(out.exit, 0, out.stderr)
      const plan = Object.fromEntries(out.result!.plan.map((r) => [r.key, r]))
      assert.equal(plan['net.core.somaxconn'].action, 'raise')
      assert.match(plan['fs.file-max'].why, /global.*left alone by --netns/)
      assert.equal(plan['fs.file-max'].code, 'netns', 'a code, for programs and for the "Left alone" line')
      assert.match(plan['net.ipv4.tcp_mem'].why, /global/)
      assert.match(plan['net.netfilter.nf_conntrack_max'].why, /read-only inside a network namespace|global/)

      assert.equal(await inNs('cat', '/proc/sys/net/core/somaxconn'), '16384')
      assert.equal(await inNs('cat', '/proc/sys/net/ipv4/ip_local_port_range'), '1024\t65535')
      assert.deepEqual([host('net/core/somaxconn'), host('net/ipv4/ip_local_port_range'), host('fs/file-max')], hostBefore)

      const reverted = await run(['revert', '--root', state])
      assert.equal(reverted.exit, 0, reverted.stderr)
      assert.deepEqual([await inNs('cat', '/proc/sys/net/core/somaxconn'), await inNs('cat', '/proc/sys/net/ipv4/ip_local_port_range')], nsBefore)
      assert.deepEqual([host('net/core/somaxconn'), host('net/ipv4/ip_local_port_range'), host('fs/file-max')], hostBefore)
    } finally {
      removeSandbox(state)
    }
  })

  it('adds the client source addresses inside the namespace and revert removes them', async () => {
    const state = makeSandbox()
    try {
      const out = await run<ApplyResult>(['apply', '-p', 'million', '--role', 'client', '--conns', '100k', '--netns', NS, '--iface', 'lo', '--addresses', '10.99.0.0/24', '--root', state, '--yes', '--json'])
      assert.equal(out.exit, 0, out.stderr)
      const row = out.result!.plan.find((r) => r.kind === 'addresses')!
      // 100,000 connections / 64,512 ports per source address = 2 addresses
      assert.deepEqual(row.add, ['10.99.0.1', '10.99.0.2'])
      const inside = await inNs('ip', '-4', 'addr', 'show', 'dev', 'lo')
      assert.match(inside, /inet 10\.99\.0\.1\/32/)
      assert.match(inside, /inet 10\.99\.0\.2\/32/)
      const onHost = (await execa('ip', ['-4', 'addr', 'show'])).stdout
      assert.doesNotMatch(onHost, /10\.99\.0\./)

      assert.equal((await run(['revert', '--root', state])).exit, 0)
      assert.doesNotMatch(await inNs('ip', '-4', 'addr', 'show', 'dev', 'lo'), /10\.99\.0\./)
    } finally {
      removeSandbox(state)
    }
  })

  it('names an interface the namespace does not have', async () => {
    const out = await run(['apply', '-p', 'million', '--role', 'client', '--netns', NS, '--iface', 'nosuch0', '--addresses', '10.99.0.0/24', '--dry-run'])
    assert.equal(out.exit, 2)
    assert.match(out.stderr, /--iface nosuch0: .*does not exist/)
  })

  it('names a namespace that does not exist', async () => {
    const out = await run(['apply', '-p', 'million', '--netns', `${NS}-missing`, '--dry-run'])
    assert.equal(out.exit, 2)
    assert.match(out.stderr, /no network namespace named/)
  })
})
