import assert from 'node:assert/strict'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {execa} from 'execa'

import type {ApplyResult} from '../src/commands/apply.js'
import type {RevertResult} from '../src/commands/revert.js'
import {makeSandbox, readSandbox, removeSandbox, REPO_ROOT, treeSnapshot} from './sandbox-tree.js'
import {runCli as run} from './helpers.js'


function withSandbox(extra: Record<string, string>, fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = makeSandbox(extra)
    try {
      await fn(dir)
    } finally {
      removeSandbox(dir)
    }
  }
}


describe('c1m apply / revert into a sandbox root', () => {
  it('apply then revert restores every file byte for byte', withSandbox({}, async (dir) => {
    const before = treeSnapshot(dir)
    const applied = await run<ApplyResult>(['apply', '--profile', 'go-1m-epoll', '--root', dir, '--yes', '--json'])
    assert.equal(applied.exit, 0, applied.stderr)
    assert.equal(applied.result!.applied, true)
    // live values changed in the sandbox's /proc/sys, files written under its /etc
    assert.equal(readSandbox(dir, 'proc/sys/fs/nr_open'), '2000500\n')
    assert.equal(readSandbox(dir, 'proc/sys/net/ipv4/tcp_rmem'), '8760 256960 6291456\n')
    assert.equal(readSandbox(dir, 'proc/sys/net/ipv4/tcp_tw_reuse'), '1\n')
    assert.equal(readSandbox(dir, 'proc/sys/net/core/rmem_max'), '212992\n', 'rmem_max 16384 is lower than the current value: kept')
    const conf = readSandbox(dir, 'etc/sysctl.d/90-c1m.conf')
    assert.match(conf, /^fs\.nr_open = 2000500$/m)
    assert.doesNotMatch(conf, /tcp_tw_recycle/)
    assert.match(readSandbox(dir, 'etc/security/limits.d/90-c1m.conf'), /^\* {4}hard nofile 2000500$/m)
    assert.ok(existsSync(path.join(dir, 'var/lib/c1m/state.json')))
    assert.notDeepEqual(treeSnapshot(dir), before)

    const reverted = await run<RevertResult>(['revert', '--root', dir, '--json'])
    assert.equal(reverted.exit, 0, reverted.stderr)
    assert.ok(reverted.result!.restored.some((line) => line.startsWith('fs.nr_open: 2000500 -> 1048576')))
    assert.deepEqual(treeSnapshot(dir), before)
  }))

  it('without --unit or --systemd-default writes no systemd file and says why', withSandbox({}, async (dir) => {
    const out = await run<ApplyResult>(['apply', '-p', 'million', '--conns', '500k', '--root', dir, '--yes', '--json'])
    assert.equal(out.exit, 0, out.stderr)
    const row = out.result!.plan.find((r) => r.kind === 'systemd')!
    assert.equal(row.action, 'skip')
    assert.match(row.why, /pass --unit NAME for your server's service, or --systemd-default/)
    assert.ok(!existsSync(path.join(dir, 'etc/systemd/system.conf.d/90-c1m.conf')))
    assert.equal((await run(['revert', '--root', dir])).exit, 0)
  }))

  it('--unit writes LimitNOFILE in the service\'s drop-in, raise-only, and revert removes it', withSandbox({'etc/systemd/system/web.service': '[Service]\nExecStart=/bin/true\nLimitNOFILE=4096:2000000\n'}, async (dir) => {
    const before = treeSnapshot(dir)
    const out = await run(['apply', '-p', 'million', '--conns', '500k', '--root', dir, '--yes', '--unit', 'web.service'])
    assert.equal(out.exit, 0, out.stderr)
    assert.match(readSandbox(dir, 'etc/systemd/system/web.service.d/90-c1m.conf'), /^\[Service\]\nLimitNOFILE=501024:2000000$/m)
    assert.ok(!existsSync(path.join(dir, 'etc/systemd/system.conf.d/90-c1m.conf')))
    assert.equal((await run(['revert', '--root', dir])).exit, 0)
    assert.deepEqual(treeSnapshot(dir), before)
  }))

  it('--user writes the limits.d lines for that user only; without it the plan says what * means', withSandbox({'etc/passwd': 'root:x:0:0::/root:/bin/sh\nweb:x:1000:1000::/srv:/bin/sh\n'}, async (dir) => {
    const dry = await run<ApplyResult>(['apply', '-p', 'million', '--conns', '500k', '--root', dir, '--dry-run', '--json'])
    assert.match(dry.result!.plan.find((r) => r.id === 'nofile soft')!.why, /every login session's processes, not systemd services/)
    const before = treeSnapshot(dir)
    const out = await run(['apply', '-p', 'million', '--conns', '500k', '--root', dir, '--yes', '--user', 'web'])
    assert.equal(out.exit, 0, out.stderr)
    const limits = readSandbox(dir, 'etc/security/limits.d/90-c1m.conf')
    assert.match(limits, /^web soft nofile 501024$/m)
    assert.doesNotMatch(limits, /^\*|^root/m)
    assert.equal((await run(['revert', '--root', dir])).exit, 0)
    assert.deepEqual(treeSnapshot(dir), before)
  }))

  for (const [bad, why] of [['no-such', /does not exist in .*etc\/passwd/], ['../x', /is not a user name/], ['a b', /is not a user name/]] as const) {
    it(`--user ${JSON.stringify(bad)} is a usage error and changes nothing`, withSandbox({'etc/passwd': 'root:x:0:0::/root:/bin/sh\n'}, async (dir) => {
      const before = treeSnapshot(dir)
      const out = await run(['apply', '-p', 'million', '--root', dir, '--yes', '--user', bad])
      assert.equal(out.exit, 2, out.stderr)
      assert.match(out.stderr, why)
      assert.deepEqual(treeSnapshot(dir), before)
    }))
  }

  for (const bad of ['../../etc/passwd', 'a/b', 'x..y', '.hidden', 'web service']) {
    it(`--unit ${JSON.stringify(bad)} is a usage error and changes nothing`, withSandbox({}, async (dir) => {
      const before = treeSnapshot(dir)
      const out = await run(['apply', '-p', 'million', '--root', dir, '--yes', `--unit=${bad}`])
      assert.equal(out.exit, 2, out.stderr)
      assert.match(out.stderr, /is not a systemd service name/)
      assert.deepEqual(treeSnapshot(dir), before)
    }))
  }

  it('million --systemd-default writes the global drop-in where systemd runs, and revert removes it with the directory it made', withSandbox({}, async (dir) => {
    const before = treeSnapshot(dir)
    assert.equal((await run(['apply', '-p', 'million', '--conns', '500k', '--root', dir, '--yes', '--systemd-default'])).exit, 0)
    assert.match(readSandbox(dir, 'etc/systemd/system.conf.d/90-c1m.conf'), /^\[Manager\]\nDefaultLimitNOFILE=501024:524288$/m)
    assert.match(readSandbox(dir, 'etc/security/limits.d/90-c1m.conf'), /^root soft nofile 501024$/m)
    assert.equal((await run(['revert', '--root', dir])).exit, 0)
    assert.deepEqual(treeSnapshot(dir), before)
  }))

  it('writes conntrack keys with a leading - and the hash size to modprobe.d; revert removes both', withSandbox({}, async (dir) => {
    const before = treeSnapshot(dir)
    const out = await run<ApplyResult>(['apply', '-p', 'million', '--root', dir, '--yes', '--json'])
    assert.equal(out.exit, 0, out.stderr)
    const sysctl = readSandbox(dir, 'etc/sysctl.d/90-c1m.conf')
    assert.match(sysctl, /^-net\.netfilter\.nf_conntrack_max = \d+$/m)
    assert.match(sysctl, /^net\.core\.somaxconn = /m)
    const max = Number(/^-net\.netfilter\.nf_conntrack_max = (\d+)$/m.exec(sysctl)![1])
    const buckets = /^-net\.netfilter\.nf_conntrack_buckets = (\d+)$/m.exec(sysctl)
    const size = buckets ? Number(buckets[1]) : Math.ceil(max / 4)
    assert.match(readSandbox(dir, 'etc/modprobe.d/90-c1m.conf'), new RegExp(`^options nf_conntrack hashsize=${size}$`, 'm'))
    assert.equal((await run(['revert', '--root', dir])).exit, 0)
    assert.deepEqual(treeSnapshot(dir), before)
  }))

  it('replaces an existing 90-c1m.conf and puts it back', withSandbox({'etc/sysctl.d/90-c1m.conf': '# hand-made\nnet.core.somaxconn = 8192\n'}, async (dir) => {
    const before = treeSnapshot(dir)
    assert.equal((await run(['apply', '-p', 'phoenix-websocket', '--root', dir, '--yes'])).exit, 0)
    assert.match(readSandbox(dir, 'etc/sysctl.d/90-c1m.conf'), /net\.core\.somaxconn = 15000/)
    assert.equal((await run(['revert', '--root', dir])).exit, 0)
    assert.deepEqual(treeSnapshot(dir), before)
  }))

  it('applies an old name to the key this kernel has, and skips a tcp_mem typed in bytes', withSandbox({}, async (dir) => {
    const out = await run<ApplyResult>(['apply', '-p', 'mochiweb-part3', '--root', dir, '--yes', '--json'])
    assert.equal(out.exit, 0, out.stderr)
    const conntrack = out.result!.plan.find((r) => r.renamedFrom === 'net.ipv4.netfilter.ip_conntrack_max')!
    assert.equal(conntrack.key, 'net.netfilter.nf_conntrack_max')
    assert.equal(readSandbox(dir, 'proc/sys/net/netfilter/nf_conntrack_max'), '1048576\n')
    const mem = out.result!.plan.find((r) => r.key === 'net.ipv4.tcp_mem')!
    assert.equal(mem.action, 'skip')
    assert.equal(readSandbox(dir, 'proc/sys/net/ipv4/tcp_mem'), '288390\t384523\t576780\n')
    assert.equal((await run(['revert', '--root', dir])).exit, 0)
  }))

  it('--dry-run prints the plan and changes nothing', withSandbox({}, async (dir) => {
    const before = treeSnapshot(dir)
    const out = await run<ApplyResult>(['apply', '-p', 'million', '--root', dir, '--dry-run'])
    assert.equal(out.exit, 0)
    assert.match(out.stdout, /net\.core\.somaxconn +│ 4096 +│ 16384 +│ raise/)
    assert.match(out.stdout, /\d+ raise, /)
    assert.deepEqual(treeSnapshot(dir), before)
  }))

  it('--allow-lower lowers what is higher', withSandbox({}, async (dir) => {
    const out = await run<ApplyResult>(['apply', '-p', 'go-1m-epoll', '--root', dir, '--yes', '--allow-lower', '--json'])
    assert.equal(out.exit, 0, out.stderr)
    assert.equal(readSandbox(dir, 'proc/sys/net/core/rmem_max'), '16384\n')
    assert.equal(readSandbox(dir, 'proc/sys/net/ipv4/tcp_rmem'), '8760 256960 4088000\n')
    assert.equal((await run(['revert', '--root', dir])).exit, 0)
  }))

  it('warns when a sysctl file read later would override a value', withSandbox({'etc/sysctl.d/99-local.conf': 'net.core.somaxconn = 1024\n'}, async (dir) => {
    const out = await run(['apply', '-p', 'million', '--root', dir, '--dry-run', '--json'])
    const envelope = JSON.parse(out.stdout) as {warnings: string[]}
    assert.equal(envelope.warnings.length, 1)
    assert.match(envelope.warnings[0], /99-local\.conf:1 sets net\.core\.somaxconn = 1024.*override 16384/)
  }))

  it('refuses a second apply until the first is reverted', withSandbox({}, async (dir) => {
    assert.equal((await run(['apply', '-p', 'linkedin-im', '--root', dir, '--yes'])).exit, 0)
    const second = await run(['apply', '-p', 'million', '--root', dir, '--yes'])
    assert.equal(second.exit, 9)
    assert.match(second.stderr, /earlier apply of linkedin-im.*run `c1m revert` first \[E_PREFLIGHT, exit 9\]/)
    assert.equal((await run(['revert', '--root', dir])).exit, 0)
    const nothing = await run(['revert', '--root', dir])
    assert.equal(nothing.exit, 8)
    assert.match(nothing.stderr, /E_NOTHING_TO_REVERT/)
  }))

  it('without --yes and without a terminal to ask, changes nothing', withSandbox({}, async (dir) => {
    const before = treeSnapshot(dir)
    const out = await run(['apply', '-p', 'million', '--root', dir])
    assert.equal(out.exit, 2)
    assert.match(out.stderr, /stdin is not a terminal/)
    assert.deepEqual(treeSnapshot(dir), before)
  }))

  it('a failure mid-apply rolls back what was already changed and names the step', withSandbox({}, async (dir) => {
    // The systemd drop-in's path is taken by a directory, so the last file step cannot write it.
    mkdirSync(path.join(dir, 'etc/systemd/system.conf.d/90-c1m.conf'), {recursive: true})
    writeFileSync(path.join(dir, 'etc/systemd/system.conf.d/90-c1m.conf/keep'), 'x')
    const before = treeSnapshot(dir)
    const out = await run(['apply', '-p', 'million', '--root', dir, '--yes', '--systemd-default'])
    assert.equal(out.exit, 7, out.stderr)
    assert.match(out.stderr, /apply failed at step "\/etc\/systemd\/system\.conf\.d\/90-c1m\.conf": .*rolled back \d+ change/)
    // live values, sysctl.d, limits.d and the state file are as they were
    assert.deepEqual(treeSnapshot(dir), before)
  }))

  it('a bad count is a usage error', withSandbox({}, async (dir) => {
    const out = await run(['apply', '-p', 'million', '--root', dir, '--conns', 'lots'])
    assert.equal(out.exit, 2)
    const bad = await run(['apply', '-p', 'no-such-profile', '--root', dir])
    assert.equal(bad.exit, 2)
    assert.match(bad.stderr, /no profile named "no-such-profile"; profiles: go-1m-epoll/)
    const both = await run(['apply', '-p', 'million', '--root', dir, '--iface', 'lo'])
    assert.equal(both.exit, 2)
    assert.match(both.stderr, /--iface and --addresses go together/)
  }))
})

describe('c1m apply with a read-only /proc/sys (a container)', {skip: process.getuid?.() === 0 ? false : 'needs root for a private mount namespace'}, () => {
  const helper = path.join(REPO_ROOT, 'dist/test/ro-proc-helper.js')
  const inContainer = (dir: string, args: string[]) =>
    execa('unshare', ['--mount', '--propagation', 'private', process.execPath, helper, dir, ...args], {reject: false})

  it('says so with E_READ_ONLY_PROC before anything changes', withSandbox({}, async (dir) => {
    const before = treeSnapshot(dir)
    const out = await inContainer(dir, ['apply', '-p', 'million', '--root', dir, '--yes'])
    assert.equal(out.exitCode, 5, out.stderr)
    assert.match(out.stderr, /proc\/sys is not writable here \(EROFS: mounted read-only.*--persist-only.*\[E_READ_ONLY_PROC, exit 5\]/)
    assert.deepEqual(treeSnapshot(dir), before)
  }))

  it('--persist-only still writes the files', withSandbox({}, async (dir) => {
    const out = await inContainer(dir, ['apply', '-p', 'million', '--root', dir, '--yes', '--persist-only'])
    assert.equal(out.exitCode, 0, out.stderr)
    assert.match(readSandbox(dir, 'etc/sysctl.d/90-c1m.conf'), /^net\.core\.somaxconn = 16384$/m)
    assert.equal(readSandbox(dir, 'proc/sys/net/core/somaxconn'), '4096\n')
    assert.equal((await run(['revert', '--root', dir])).exit, 0)
  }))
})

describe('c1m apply on this host as a user who is not root', () => {
  it('stops with E_NOT_ROOT before anything changes', {skip: process.getuid?.() === 0 ? false : 'needs root to switch to an unprivileged user'}, async () => {
    const had = existsSync('/etc/sysctl.d/90-c1m.conf')
    const out = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, path.join(REPO_ROOT, 'bin/run.js'), 'apply', '-p', 'million', '--yes'], {
      reject: false,
      cwd: '/',
      env: {HOME: '/tmp'},
    })
    assert.equal(out.exitCode, 4, out.stderr)
    assert.match(out.stderr, /needs root; nothing was changed.*\[E_NOT_ROOT, exit 4\]/)
    assert.equal(existsSync('/etc/sysctl.d/90-c1m.conf'), had)
  })
})

describe('c1m profiles', () => {
  it('lists every profile with its source', async () => {
    const out = await run<{items: {name: string; source: string}[]}>(['profiles', '--json'])
    assert.equal(out.exit, 0)
    const names = out.result!.items.map((p) => p.name)
    assert.ok(names.includes('million') && names.includes('go-1m-epoll'))
    assert.equal(out.result!.items.find((p) => p.name === 'linkedin-im')!.source, '003_b085db01269d850e.txt')
  })

  it('show prints each value with its source and what c1m does with it on a given root', withSandbox({}, async (dir) => {
    const out = await run(['profiles', 'show', 'go-1m-epoll', '--root', dir])
    assert.equal(out.exit, 0)
    assert.match(out.stdout, /net\.ipv4\.tcp_tw_recycle/)
    assert.match(out.stdout, /skip: removed in Linux 4\.12/)
    assert.match(out.stdout, /\[profiles\/go-1m-epoll\.yaml:\d+\]/)
  }))
})
