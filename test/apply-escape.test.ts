// Writes outside the target: a sysctl name that climbs out of /proc/sys, and links in a
// --root tree that lead out of it. Victims live in a temp directory this test owns and must
// stay byte for byte as they were.
import assert from 'node:assert/strict'
import {cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import {isSysctlKey, sysctlPath} from '../src/core/sysctl-name.js'
import {runCli as run} from './helpers.js'
import {makeSandbox, removeSandbox, treeSnapshot} from './sandbox-tree.js'

/** A sandbox and a victim directory beside it (both the test's), removed afterwards. */
function withVictim(fn: (sb: string, victim: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const sb = makeSandbox({'etc/passwd': 'root:x:0:0::/root:/bin/sh\n'})
    const victim = mkdtempSync(path.join(os.tmpdir(), 'c1m-victim-'))
    writeFileSync(path.join(victim, 'precious'), 'do not touch\n')
    try {
      await fn(sb, victim)
    } finally {
      removeSandbox(sb)
      rmSync(victim, {recursive: true, force: true})
    }
  }
}

const oneLine = (stderr: string) => assert.equal(stderr.trim().split('\n').length, 1, stderr)

describe('sysctl names are never paths out of /proc/sys', () => {
  it('isSysctlKey takes real names and refuses climbing ones; sysctlPath throws on them', () => {
    for (const good of ['net.core.somaxconn', 'fs.nr_open', 'net.ipv4.conf.eth0/100.rp_filter', 'net.ipv6.neigh.br-0/5.gc_stale_time']) {
      assert.ok(isSysctlKey(good), good)
      assert.ok(sysctlPath(good).startsWith('/proc/sys/'), good)
    }
    for (const bad of ['net.//.//.//.//.//.//.tmp.x.victim', 'net./.x', 'net..x', 'net.core.', '.net.core', 'net', 'net.core.a/', 'fs.x/y', 'net.ipv4.conf./.x', 'net.core.some thing', '']) {
      assert.equal(isSysctlKey(bad), false, bad)
      assert.throws(() => sysctlPath(bad), /is not a sysctl name/, bad)
    }
  })

  it('a profile with a key that climbs out is refused before anything is written', withVictim(async (sb, victim) => {
    const profiles = mkdtempSync(path.join(os.tmpdir(), 'c1m-profile-'))
    try {
      const rel = path.relative('/proc/sys', path.join(sb, 'etc/passwd')).split('/')
      // net.//.//... : each // part becomes `..` (one more to undo net/); the rest names the victim
      const key = ['net', '//', ...rel.map((p) => (p === '..' ? '//' : p))].join('.')
      assert.equal(path.posix.join('/proc/sys', ...key.split('.').map((p) => p.replaceAll('/', '.'))), path.join(sb, 'etc/passwd'), 'the key is a real escape')
      writeFileSync(path.join(profiles, 'evil.yaml'), `name: evil\nsummary: x\nsource:\n  file: x\nsysctl:\n  ${key}:\n    value: 1\n    section: s\n`)
      const before = treeSnapshot(sb)
      const out = await run(['apply', '-p', path.join(profiles, 'evil.yaml'), '--root', sb, '--yes'])
      assert.equal(out.exit, 2, out.stderr)
      assert.match(out.stderr, /is not a sysctl name.*\[E_BAD_PROFILE, exit 2\]/)
      oneLine(out.stderr)
      assert.deepEqual(treeSnapshot(sb), before)
      assert.deepEqual(treeSnapshot(victim), {precious: Buffer.from('do not touch\n').toString('base64')})
    } finally {
      rmSync(profiles, {recursive: true, force: true})
    }
  }))
})

describe('links in a --root tree lead nowhere', () => {
  const cases: [string, (sb: string, victim: string) => void][] = [
    ['etc/sysctl.d', (sb, victim) => {
      rmSync(path.join(sb, 'etc/sysctl.d'), {recursive: true})
      symlinkSync(victim, path.join(sb, 'etc/sysctl.d'))
    }],
    ['var/lib/c1m', (sb, victim) => {
      mkdirSync(path.join(sb, 'var/lib'), {recursive: true})
      symlinkSync(victim, path.join(sb, 'var/lib/c1m'))
    }],
    ['proc/sys', (sb, victim) => {
      cpSync(path.join(sb, 'proc/sys'), path.join(victim, 'sys'), {recursive: true})
      rmSync(path.join(sb, 'proc/sys'), {recursive: true})
      symlinkSync(path.join(victim, 'sys'), path.join(sb, 'proc/sys'))
    }],
    ['one /proc/sys file', (sb, victim) => {
      writeFileSync(path.join(victim, 'somaxconn'), '4096\n')
      rmSync(path.join(sb, 'proc/sys/net/core/somaxconn'))
      symlinkSync(path.join(victim, 'somaxconn'), path.join(sb, 'proc/sys/net/core/somaxconn'))
    }],
  ]
  for (const [name, plant] of cases) {
    it(`apply refuses ${name} as a link out of the root, and writes nothing`, withVictim(async (sb, victim) => {
      plant(sb, victim)
      const victimBefore = treeSnapshot(victim)
      const out = await run(['apply', '-p', 'million', '--root', sb, '--yes'])
      assert.equal(out.exit, 2, out.stderr)
      assert.match(out.stderr, /goes through a symbolic link.*\[E_BAD_ROOT, exit 2\]/)
      oneLine(out.stderr)
      assert.deepEqual(treeSnapshot(victim), victimBefore)
    }))
  }

  it('revert refuses a link planted after apply, and puts nothing back through it', withVictim(async (sb, victim) => {
    assert.equal((await run(['apply', '-p', 'million', '--root', sb, '--yes'])).exit, 0)
    rmSync(path.join(sb, 'etc/security/limits.d'), {recursive: true})
    symlinkSync(victim, path.join(sb, 'etc/security/limits.d'))
    const victimBefore = treeSnapshot(victim)
    const out = await run(['revert', '--root', sb])
    assert.equal(out.exit, 2, out.stderr)
    assert.match(out.stderr, /limits\.d\/90-c1m\.conf under .* goes through a symbolic link/)
    assert.deepEqual(treeSnapshot(victim), victimBefore)
  }))
})
