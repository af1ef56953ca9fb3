import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {REPO_ROOT, VERSION} from './helpers.js'

// What a user gets from `npm install -g c1m`: pack the built tree (npm test built it, so
// --ignore-scripts), install the tarball into a prefix of its own, and run the installed c1m
// as root and as nobody. Bounded: pack 60 s, install 150 s, each command 60 s.
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-pack-'))
// nobody must be able to reach the installed files
chmodSync(dir, 0o755)
after(() => rmSync(dir, {recursive: true, force: true}))

const isRoot = process.getuid?.() === 0
const prefix = path.join(dir, 'prefix')
const c1m = path.join(prefix, 'bin', 'c1m')

async function asUser(user: 'root' | 'nobody', args: string[]) {
  const command = user === 'root' ? [c1m, ...args] : ['runuser', '-u', 'nobody', '--', c1m, ...args]
  // A clean environment, as a login would have: HOME where nobody may not write, no NO_COLOR.
  const env = {PATH: `${path.dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: user === 'root' ? dir : '/nonexistent', C1M_PROBE_DIR: 'off'}
  return execa(command[0], command.slice(1), {env, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore'})
}

describe('the npm package', {timeout: 300_000}, () => {
  let files: string[] = []
  let tarball = ''

  it('packs bin, dist/src, the manifest, docs, profiles, probes and the LICENSE; no compiled tests', async () => {
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {cwd: REPO_ROOT, timeout: 60_000})
    const [info] = JSON.parse(packed.stdout) as Array<{filename: string; files: Array<{path: string}>}>
    tarball = path.join(dir, info.filename)
    files = info.files.map((f) => f.path)
    for (const file of ['oclif.manifest.json', 'LICENSE', 'README.md', 'bin/run.js', 'dist/src/commands/doctor.js', 'docs/probe.md', 'docs/estimate.md', 'docs/apply.md', 'profiles/million.yaml', 'profiles/profile.schema.json', 'probes/echo-server.c']) {
      assert.ok(files.includes(file), `${file} is not in the package`)
    }
    assert.deepEqual(files.filter((f) => f.startsWith('dist/test') || f.startsWith('test/') || f.startsWith('probes/.build')), [])
  })

  it('installs globally into a prefix and runs as root and as nobody', {skip: isRoot ? false : 'installing as nobody needs root (runuser)'}, async () => {
    assert.ok(tarball, 'packing failed')
    const install = await execa('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], {reject: false, timeout: 150_000, env: {npm_config_loglevel: 'error'}})
    assert.equal(install.exitCode, 0, install.stderr)
    for (const user of ['root', 'nobody'] as const) {
      const version = await asUser(user, ['--version'])
      assert.equal(version.exitCode, 0, `${user}: ${version.stderr}`)
      assert.match(version.stdout, new RegExp(`^c1m/${VERSION.replaceAll('.', '\\.')} `))

      const doctor = await asUser(user, ['doctor', '--json'])
      // exit 0 on a clean host, 1 when a check FAILs (--fail-on fail by default): never a crash
      assert.ok(doctor.exitCode === 0 || doctor.exitCode === 1, `${user}: doctor exited ${doctor.exitCode}: ${doctor.stderr}`)
      const envelope = JSON.parse(doctor.stdout) as {status: number; result: {schema: string; version: string; results: unknown[]}}
      assert.equal(envelope.status, doctor.exitCode)
      assert.deepEqual([envelope.result.schema, envelope.result.version], ['c1m.doctor/1', VERSION])
      assert.ok(envelope.result.results.length >= 25)

      const help = await asUser(user, ['help', 'doctor'])
      assert.equal(help.exitCode, 0, `${user}: ${help.stderr}`)
      assert.match(help.stdout, /\$ c1m doctor /)
      assert.equal(help.stderr, '', `${user}: help wrote to stderr`)
    }
  })
})
