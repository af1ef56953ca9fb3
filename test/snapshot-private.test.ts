// Nothing leaves the target, nothing private is copied out (issue 21): doctor --root and snapshot
// --root follow no link and no hard link out of a saved tree; a snapshot keeps each file's mode
// (the real /proc/slabinfo is 0400) in a 0700 directory; its temporary directory is its own.
import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {chmodSync, chownSync, cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {BIN, FIXTURES, run} from './helpers.js'
import {eventually} from './spawn-c1m.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-private-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/** A private file outside every tree, as /etc/shadow is. */
const SECRET = 'SECRET-c1m-7f3a9'
const secretFile = path.join(dir, 'shadow')
writeFileSync(secretFile, `${SECRET}\n`, {mode: 0o600})
const secretDir = path.join(dir, 'private-ipv4')
mkdirSync(secretDir, {mode: 0o700})
writeFileSync(path.join(secretDir, 'tcp_fin_timeout'), `${SECRET}-dir\n`, {mode: 0o600})

let trees = 0
/** A copy of a fixture tree, changed by `change`. */
function tree(change: (root: string) => void): string {
  const root = path.join(dir, `tree-${++trees}`)
  cpSync(path.join(FIXTURES, 'tuned-1m'), root, {recursive: true})
  change(root)
  return root
}

/** Every file under `root`, read (the snapshot is ours: root may read it all). */
function allText(root: string): string {
  return execFileSync('find', [root, '-type', 'f', '-exec', 'cat', '{}', '+'], {encoding: 'utf8'})
}

const linkAtFile = (root: string) => {
  rmSync(path.join(root, 'proc/sys/net/core/somaxconn'))
  symlinkSync(secretFile, path.join(root, 'proc/sys/net/core/somaxconn'))
}
const linkAtDir = (root: string) => {
  renameSync(path.join(root, 'proc/sys/net/ipv4'), path.join(root, 'ipv4-moved'))
  symlinkSync(secretDir, path.join(root, 'proc/sys/net/ipv4'))
}
const hardLink = (root: string) => {
  rmSync(path.join(root, 'proc/sys/fs/file-max'))
  linkSync(secretFile, path.join(root, 'proc/sys/fs/file-max'))
}

describe('doctor --root and snapshot --root follow nothing out of the tree', () => {
  for (const [label, change, shown] of [
    ['a symbolic link at the last component', linkAtFile, /\/proc\/sys\/net\/core\/somaxconn: is a symbolic link; a saved tree has none/],
    ['a symbolic link at a directory component', linkAtDir, /\/proc\/sys\/net\/ipv4 is a symbolic link; a saved tree has none/],
    ['a hard link to a file outside', hardLink, /\/proc\/sys\/fs\/file-max: has 2 hard links; a saved tree has none/],
  ] as const) {
    it(`${label}: doctor --root prints no byte of the 0600 file and says why`, async () => {
      const root = tree(change)
      const {stdout, stderr} = await run(['doctor', '--root', root, '--json', '--fail-on', 'none'])
      assert.doesNotMatch(stdout + stderr, new RegExp(SECRET))
      assert.match(stdout, shown)
      const text = await run(['doctor', '--root', root, '--fail-on', 'none'])
      assert.doesNotMatch(text.stdout + text.stderr, new RegExp(SECRET))
    })

    it(`${label}: snapshot --root copies no byte of it and names what it left out`, async () => {
      const root = tree(change)
      const out = path.join(dir, `snap-${trees}`)
      const {exitCode, stderr} = await run(['snapshot', '--root', root, out])
      assert.equal(exitCode, 0, stderr)
      assert.doesNotMatch(allText(out), new RegExp(SECRET))
      assert.match(stderr, /^warning: not copied: .*a saved tree has none/m)
    })
  }
})

describe('a snapshot is private', () => {
  it('keeps /proc/slabinfo 0400 (as the real /proc has it), the kernel log at most 0600, in a 0700 directory', async () => {
    const source = statSync('/proc/slabinfo').mode & 0o777
    assert.equal(source, 0o400, 'this host has /proc/slabinfo 0400')
    const out = path.join(dir, 'live')
    const {exitCode, stderr} = await run(['snapshot', out])
    assert.equal(exitCode, 0, stderr)
    assert.equal(statSync(out).mode & 0o777, 0o700)
    assert.equal(statSync(path.join(out, 'proc/slabinfo')).mode & 0o777, 0o400)
    if (existsSync(path.join(out, 'dev/kmsg'))) assert.equal(statSync(path.join(out, 'dev/kmsg')).mode & 0o077, 0)
    // Every copied file: no permission the source did not give (the real /proc/sys, file by file)
    for (const name of readdirSync(path.join(out, 'proc/sys/kernel'))) {
      const copy = path.join(out, 'proc/sys/kernel', name)
      if (!statSync(copy).isFile()) continue
      const real = statSync(path.join('/proc/sys/kernel', name)).mode & 0o666
      assert.equal(statSync(copy).mode & 0o777 & ~real, 0, `${name}: ${(statSync(copy).mode & 0o777).toString(8)} over ${real.toString(8)}`)
    }
  })

  it('a 0600 file of a --root tree stays 0600, its directories 0700', async () => {
    const root = tree((r) => chmodSync(path.join(r, 'proc/sys/net/core/somaxconn'), 0o600))
    const out = path.join(dir, 'snap-mode')
    assert.equal((await run(['snapshot', '--root', root, out])).exitCode, 0)
    assert.equal(statSync(path.join(out, 'proc/sys/net/core/somaxconn')).mode & 0o777, 0o600)
    assert.equal(statSync(path.join(out, 'proc/sys/net/core')).mode & 0o777, 0o700)
  })
})

describe("snapshot's temporary directory", () => {
  it('does not adopt DIR.partial-PID made beforehand by another user', async () => {
    const out = path.join(dir, 'adopt')
    // The attacker's directory under the very PID the snapshot runs as: the shell makes it under its own
    // PID ($$), gives it to nobody (65534), then becomes c1m (exec keeps the PID).
    const script = `mkdir "$1.partial-$$" && chown 65534:65534 "$1.partial-$$" && echo "$1.partial-$$" && exec node "$2" snapshot --root "$3" "$1"`
    const {stdout, exitCode, stderr} = await execa('sh', ['-c', script, 'sh', out, BIN, path.join(FIXTURES, 'tuned-1m')], {reject: false, env: {NO_COLOR: '1'}, timeout: 60_000})
    const planted = stdout.split('\n')[0]
    assert.ok(planted.startsWith(`${out}.partial-`), stdout)
    assert.equal(exitCode, 0, stderr)
    assert.equal(statSync(out).uid, process.getuid!(), 'the snapshot is owned by who took it')
    assert.equal(statSync(out).mode & 0o777, 0o700)
    assert.ok(existsSync(planted), `${planted} (another user's) is left alone`)
    assert.deepEqual(readdirSync(planted), [], `${planted} was not written into`)
    assert.equal(statSync(planted).uid, 65_534)
  })

  it('the next snapshot to the same DIR removes what a kill -9 left, only its own and only of dead PIDs', async () => {
    const out = path.join(dir, 'killed')
    // A real snapshot killed part way: started, then kill -9 once its temporary directory holds files
    const child = spawn('node', [BIN, 'snapshot', out], {stdio: 'ignore', env: {...process.env, NO_COLOR: '1'}})
    const started = () => readdirSync(dir).find((n) => n.startsWith('killed.partial-') && existsSync(path.join(dir, n, 'proc/sys'))) ?? false
    let partial = await eventually(started, {timeoutMs: 30_000, everyMs: 5}).catch(() => undefined)
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    assert.ok(partial, 'the snapshot made its temporary directory')
    if (!existsSync(path.join(dir, partial))) {
      // It finished before the kill: leave what a kill leaves, by hand, under the dead child's PID
      mkdirSync(path.join(dir, `killed.partial-${child.pid}`, 'proc'), {recursive: true})
      partial = `killed.partial-${child.pid}`
      rmSync(out, {recursive: true, force: true})
    }
    // Not ours: another user's leftover under a dead PID stays; so does a live PID's (this test's)
    const others = path.join(dir, `killed.partial-${child.pid! + 1_000_000}`)
    mkdirSync(others)
    chownSync(others, 65_534, 65_534)
    const running = path.join(dir, `killed.partial-${process.pid}-abc123`)
    mkdirSync(running)
    const {exitCode, stdout, stderr} = await run(['snapshot', '--root', path.join(FIXTURES, 'tuned-1m'), out])
    assert.equal(exitCode, 0, stderr)
    assert.ok(!existsSync(path.join(dir, partial)), `${partial} was removed`)
    assert.match(stdout, new RegExp(`Removed what an interrupted snapshot left: ${partial}`))
    assert.ok(existsSync(others), "another user's directory is left alone")
    assert.ok(existsSync(running), "a running snapshot's directory is left alone")
    rmSync(others, {recursive: true})
    rmSync(running, {recursive: true})
  })
})
