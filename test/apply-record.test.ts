// The apply record is hostile input; what a killed apply leaves is cleaned up; a change
// that never took effect is never undone.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import {execa} from 'execa'

import {BIN, runCli as run} from './helpers.js'
import {makeSandbox, removeSandbox, treeSnapshot} from './sandbox-tree.js'

const isRoot = process.getuid?.() === 0
const oneLine = (stderr: string) => assert.equal(stderr.trim().split('\n').length, 1, stderr)

function writeState(sb: string, changes: unknown, extra: Record<string, unknown> = {}): void {
  mkdirSync(path.join(sb, 'var/lib/c1m'), {recursive: true})
  const state = {format: 'c1m.apply-state/1', profile: 'million', conns: 1000, role: 'server', startedAt: '2026-11-22T00:00:00.000Z', steps: [], complete: true, changes, ...extra}
  writeFileSync(path.join(sb, 'var/lib/c1m/state.json'), JSON.stringify(state))
  chmodSync(path.join(sb, 'var/lib/c1m/state.json'), 0o600)
}

describe('revert checks the whole record before undoing anything', () => {
  const crafted: [string, (victim: string) => unknown][] = [
    ['a file path that climbs out of the root', (victim) => [{kind: 'file', path: `/../../../../..${victim}/precious`, before: null}]],
    ['a file apply never writes', () => [{kind: 'file', path: '/etc/passwd', before: Buffer.from('owned\n').toString('base64')}]],
    ['a unit drop-in that climbs out', () => [{kind: 'file', path: '/etc/systemd/system/../../passwd.service.d/90-c1m.conf', before: null}]],
    ['a unit drop-in of another name', () => [{kind: 'file', path: '/etc/systemd/system/web.service.d/override.conf', before: null}]],
    ['a modprobe.d file other than 90-c1m.conf', () => [{kind: 'file', path: '/etc/modprobe.d/blacklist.conf', before: null}]],
    ['a directory that climbs out', (victim) => [{kind: 'dir', path: `/../../../..${victim}/empty`}]],
    ['an address under a --root tree (it would run ip addr on the host)', () => [{kind: 'address', iface: 'lo', address: '10.77.0.1', prefix: 32}]],
    ['a sysctl key that climbs out', () => [{kind: 'sysctl', key: 'net.//.//.//.x', before: '1\n', after: '2'}]],
    ['an unknown kind', () => [{kind: 'exec', command: 'true'}]],
    ['a null change', () => [null]],
    ['a field apply never writes', () => [{kind: 'dir', path: '/etc/sysctl.d', mode: 511}]],
  ]
  for (const [name, changes] of crafted) {
    it(`refuses ${name} with one line and exit 6, and changes nothing`, async () => {
      const sb = makeSandbox({'etc/passwd': 'root:x:0:0::/root:/bin/sh\n'})
      const victim = mkdtempSync(path.join(os.tmpdir(), 'c1m-victim-'))
      try {
        writeFileSync(path.join(victim, 'precious'), 'do not touch\n')
        mkdirSync(path.join(victim, 'empty'))
        writeState(sb, changes(victim))
        const before = [treeSnapshot(sb), treeSnapshot(victim)]
        const out = await run(['revert', '--root', sb])
        assert.equal(out.exit, 6, out.stderr)
        assert.match(out.stderr, /is not a record c1m can trust: .*\[E_UNREADABLE, exit 6\]/)
        oneLine(out.stderr)
        assert.deepEqual([treeSnapshot(sb), treeSnapshot(victim)], before)
        // apply will not start over it either
        assert.equal((await run(['apply', '-p', 'million', '--root', sb, '--yes'])).exit, 6)
      } finally {
        removeSandbox(sb)
        rmSync(victim, {recursive: true, force: true})
      }
    })
  }

  it('a record others may write is not trusted', async () => {
    const sb = makeSandbox()
    try {
      assert.equal((await run(['apply', '-p', 'million', '--root', sb, '--yes'])).exit, 0)
      chmodSync(path.join(sb, 'var/lib/c1m/state.json'), 0o666)
      const out = await run(['revert', '--root', sb])
      assert.equal(out.exit, 6, out.stderr)
      assert.match(out.stderr, /others may write it \(mode 666\)/)
      chmodSync(path.join(sb, 'var/lib/c1m/state.json'), 0o600)
      assert.equal((await run(['revert', '--root', sb])).exit, 0)
    } finally {
      removeSandbox(sb)
    }
  })

  it('a state.json that is a directory is one line with exit 6', async () => {
    const sb = makeSandbox()
    try {
      mkdirSync(path.join(sb, 'var/lib/c1m/state.json'), {recursive: true})
      const out = await run(['revert', '--root', sb])
      assert.equal(out.exit, 6, out.stderr)
      assert.match(out.stderr, /not a record c1m can trust: .*not a regular file/)
      oneLine(out.stderr)
    } finally {
      removeSandbox(sb)
    }
  })
})

describe('what a killed apply leaves is cleaned up', () => {
  it('revert removes c1m temporary files and directories, and nothing else', async () => {
    const sb = makeSandbox()
    try {
      const before = treeSnapshot(sb)
      assert.equal((await run(['apply', '-p', 'million', '--root', sb, '--yes'])).exit, 0)
      const planted = ['var/lib/c1m/.state.json.c1m-999999.tmp', 'etc/sysctl.d/.90-c1m.conf.c1m-999998.tmp', 'var/lib/.c1m.c1m-999997.tmp/state.json']
      for (const rel of planted) {
        mkdirSync(path.dirname(path.join(sb, rel)), {recursive: true})
        writeFileSync(path.join(sb, rel), 'left by kill -9\n')
      }
      writeFileSync(path.join(sb, 'etc/sysctl.d/.90-c1m.conf.other.tmp'), 'not ours\n')
      const out = await run(['revert', '--root', sb])
      assert.equal(out.exit, 0, out.stderr)
      assert.match(out.stderr, /removed what an interrupted apply left behind/)
      assert.deepEqual(treeSnapshot(sb), {...before, 'etc/sysctl.d/.90-c1m.conf.other.tmp': Buffer.from('not ours\n').toString('base64')})
    } finally {
      removeSandbox(sb)
    }
  })

  it('apply killed with -9 at random moments: revert gives back every byte, no temp files, no empty directories', async () => {
    for (let i = 0; i < 6; i++) {
      const sb = makeSandbox()
      try {
        const before = treeSnapshot(sb)
        const child = spawn(process.execPath, [BIN, 'apply', '-p', 'million', '--root', sb, '--yes'], {stdio: 'ignore'})
        const exited = new Promise((resolve) => child.once('exit', resolve))
        // node and oclif start in about 0.5-1 s here; the apply itself takes tens of ms
        await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 900))
        child.kill('SIGKILL')
        await exited
        const reverted = await run(['revert', '--root', sb])
        assert.ok([0, 8].includes(reverted.exit), reverted.stderr)
        assert.deepEqual(treeSnapshot(sb), before, `run ${i}`)
      } finally {
        removeSandbox(sb)
      }
    }
  })
})

describe('an immutable target', {skip: isRoot ? false : 'chattr +i needs root'}, () => {
  it('a file apply cannot replace: exit 7, rolled back, and the next apply is not blocked', async () => {
    const sb = makeSandbox({'etc/sysctl.d/90-c1m.conf': '# hand-made\n'})
    const locked = path.join(sb, 'etc/sysctl.d/90-c1m.conf')
    try {
      await execa('chattr', ['+i', locked])
      const before = treeSnapshot(sb)
      const out = await run(['apply', '-p', 'million', '--root', sb, '--yes'])
      assert.equal(out.exit, 7, out.stderr)
      assert.match(out.stderr, /apply failed at step "\/etc\/sysctl\.d\/90-c1m\.conf": EPERM, not permitted \(an immutable file.*rolled back \d+ change/)
      assert.deepEqual(treeSnapshot(sb), before)
      assert.equal((await run(['revert', '--root', sb])).exit, 8, 'nothing is left recorded')
      assert.equal((await run(['apply', '-p', 'million', '--root', sb, '--yes'])).exit, 7, 'the next apply fails the same way, not with 9')
    } finally {
      await execa('chattr', ['-i', locked], {reject: false})
      removeSandbox(sb)
    }
  })

  it('an immutable root: one clear line, nothing changed', async () => {
    const sb = makeSandbox()
    try {
      await execa('chattr', ['+i', sb])
      const before = treeSnapshot(sb)
      const out = await run(['apply', '-p', 'million', '--root', sb, '--yes'])
      assert.equal(out.exit, 6, out.stderr)
      assert.match(out.stderr, /cannot write the apply record under .*EPERM, not permitted.*nothing was changed/)
      oneLine(out.stderr)
      assert.deepEqual(treeSnapshot(sb), before)
      assert.equal(existsSync(path.join(sb, 'var')), false)
    } finally {
      await execa('chattr', ['-i', sb], {reject: false})
      removeSandbox(sb)
    }
  })
})
