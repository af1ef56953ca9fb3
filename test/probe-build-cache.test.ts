import assert from 'node:assert/strict'
import {chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {probeBinaryName} from '../src/probe/engine.js'
import {runJson} from './helpers.js'

const isRoot = process.getuid?.() === 0
const NOBODY = 65_534
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-build-cache-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/**
 * A short run of the real binary that needs the native echo server: one worker on a kernel-chosen
 * loopback port for 100 ms.
 */
function serveBriefly(env: Record<string, string>) {
  return runJson(['server', '--port', '0', '--duration', '100ms', '--interval', '50ms'], {env})
}

/** A shell script under the name c1m would run, that leaves a marker file if it is ever executed. */
function plantBinary(cache: string, mode = 0o755): string {
  const marker = path.join(dir, `ran-${path.basename(cache)}-${Math.random().toString(36).slice(2)}`)
  const file = path.join(cache, probeBinaryName('echo-server'))
  writeFileSync(file, `#!/bin/sh\ntouch ${marker}\n`, {mode})
  chmodSync(file, mode)
  return marker
}

describe('the native probe build cache', () => {
  it('builds into $XDG_CACHE_HOME/c1m, made mode 0700 with its missing parents, and reuses the build', async () => {
    const xdg = path.join(dir, 'fresh/cache')
    const first = await runJson(['server', '--port', '0', '--duration', '100ms'], {env: {XDG_CACHE_HOME: xdg}})
    assert.equal(first.exitCode, 0, first.stderr)
    const cache = path.join(xdg, 'c1m')
    for (const made of [path.join(dir, 'fresh'), xdg, cache]) {
      const stat = statSync(made)
      assert.equal(stat.mode & 0o777, 0o700, `${made} mode ${(stat.mode & 0o777).toString(8)}`)
      assert.equal(stat.uid, process.geteuid!())
    }
    const binary = path.join(cache, probeBinaryName('echo-server'))
    assert.equal(statSync(binary).mode & 0o777, 0o700)
    assert.deepEqual(readdirSync(cache).sort(), [probeBinaryName('echo-client'), probeBinaryName('echo-server')], 'both programs, and no temporary file')
    const built = statSync(binary).mtimeMs
    assert.equal((await serveBriefly({XDG_CACHE_HOME: xdg})).exitCode, 0)
    assert.equal(statSync(binary).mtimeMs, built, 'the second run compiled again')
  })

  it('ignores a relative XDG_CACHE_HOME and builds under ~/.cache/c1m', async () => {
    const home = path.join(dir, 'home')
    mkdirSync(home, {mode: 0o700})
    const {exitCode, stderr} = await serveBriefly({XDG_CACHE_HOME: 'relative/cache', HOME: home})
    assert.equal(exitCode, 0, stderr)
    assert.ok(existsSync(path.join(home, '.cache/c1m', probeBinaryName('echo-server'))))
    assert.equal(existsSync('relative'), false)
  })

  const refusals: Array<[string, (cache: string) => void, RegExp]> = [
    ['owned by another user', (cache) => chownSync(cache, NOBODY, NOBODY), /is owned by uid 65534/],
    ['writable by everyone (0777)', (cache) => chmodSync(cache, 0o777), /can be written by other users \(mode 777\)/],
    ['group-writable (0770)', (cache) => chmodSync(cache, 0o770), /can be written by its group/],
  ]
  for (const [what, spoil, reason] of refusals) {
    it(`refuses a build directory ${what} and never runs the binary planted there`, {skip: isRoot ? false : 'chown needs root'}, async () => {
      const xdg = mkdtempSync(path.join(dir, 'xdg-'))
      const cache = path.join(xdg, 'c1m')
      mkdirSync(cache, {mode: 0o700})
      const marker = plantBinary(cache)
      spoil(cache)
      const {envelope, exitCode} = await serveBriefly({XDG_CACHE_HOME: xdg})
      assert.equal(exitCode, 12)
      assert.equal(envelope.error?.code, 'E_UNSAFE_PATH')
      assert.match(envelope.error!.message, reason)
      assert.ok(envelope.error!.message.includes(cache))
      assert.equal(existsSync(marker), false, 'the planted binary ran')
    })
  }

  it('refuses a build directory that is a symbolic link, even to a private directory', async () => {
    const xdg = mkdtempSync(path.join(dir, 'xdg-'))
    const elsewhere = mkdtempSync(path.join(dir, 'elsewhere-'))
    const marker = plantBinary(elsewhere)
    symlinkSync(elsewhere, path.join(xdg, 'c1m'))
    const {envelope, exitCode} = await serveBriefly({XDG_CACHE_HOME: xdg})
    assert.equal(exitCode, 12)
    assert.match(envelope.error!.message, /is a symbolic link/)
    assert.equal(existsSync(marker), false, 'the planted binary ran')
  })

  it('refuses a binary in its own directory that someone else could have written, and does not run it', {skip: isRoot ? false : 'chown needs root'}, async () => {
    for (const [what, spoil] of [['owned by nobody', (file: string) => chownSync(file, NOBODY, NOBODY)], ['mode 0777', (file: string) => chmodSync(file, 0o777)]] as const) {
      const xdg = mkdtempSync(path.join(dir, 'xdg-'))
      const cache = path.join(xdg, 'c1m')
      mkdirSync(cache, {mode: 0o700})
      const marker = plantBinary(cache)
      spoil(path.join(cache, probeBinaryName('echo-server')))
      const {envelope, exitCode} = await serveBriefly({XDG_CACHE_HOME: xdg})
      assert.equal(exitCode, 12, what)
      assert.match(envelope.error!.message, /the probe program .* will not run it/, what)
      assert.equal(existsSync(marker), false, `the planted binary (${what}) ran`)
    }
  })

  it('refuses a build directory under a directory other users may write (not sticky)', async () => {
    const shared = mkdtempSync(path.join(dir, 'shared-'))
    chmodSync(shared, 0o777)
    const {envelope, exitCode} = await serveBriefly({XDG_CACHE_HOME: shared})
    assert.equal(exitCode, 12)
    assert.match(envelope.error!.message, /above c1m's build directory, can be written by other users/)
  })
})
