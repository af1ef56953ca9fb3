import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {compileProbe, includedHeaders, PROBES_DIR, probeBinaryName} from '../src/probe/engine.js'
import './helpers.js' // the shared test build cache (XDG_CACHE_HOME)

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-build-hash-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/** Run fn with environment variables set, restoring them after. */
async function withEnv<T>(vars: Record<string, string>, fn: () => T | Promise<T>): Promise<T> {
  const old = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]))
  Object.assign(process.env, vars)
  try {
    return await fn()
  } finally {
    for (const [key, value] of Object.entries(old)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
}

/** The `#include "..."` names written in one probe file. */
function quotedIncludes(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)].map((m) => m[1])
}

describe('the native probe build hash', () => {
  for (const program of ['echo-client', 'echo-server']) {
    it(`${program}: covers every header it includes, directly or through another header`, async () => {
      const headers = includedHeaders(path.join(PROBES_DIR, `${program}.c`)).map((h) => path.basename(h))
      // Every quoted include of the program and of each header it reaches is in the list.
      for (const file of [`${program}.c`, ...headers]) {
        for (const name of quotedIncludes(path.join(PROBES_DIR, file))) assert.ok(headers.includes(name), `${name} (from ${file}) is not hashed`)
      }
      assert.ok(headers.includes('tls.h') && headers.length >= 3, headers.join(' '))
      for (const header of headers) {
        const copy = mkdtempSync(path.join(dir, 'probes-'))
        cpSync(PROBES_DIR, copy, {recursive: true})
        const before = await withEnv({C1M_PROBES_DIR: copy}, () => probeBinaryName(program))
        assert.equal(before, probeBinaryName(program), 'the copy hashes as the bundled sources do')
        appendFileSync(path.join(copy, header), '\n/* changed */\n')
        const changed = await withEnv({C1M_PROBES_DIR: copy}, () => probeBinaryName(program))
        assert.notEqual(changed, before, `a change to ${header} alone kept the binary name ${before}`)
      }
    })
  }

  it('C1M_CFLAGS makes another binary (a sanitizer build is not the plain one)', async () => {
    const plain = probeBinaryName('echo-server')
    assert.notEqual(await withEnv({C1M_CFLAGS: '-g'}, () => probeBinaryName('echo-server')), plain)
  })
})

describe('the native probe build cache after a killed compile', () => {
  it('removes temporary builds of dead compiles and keeps those of a live one', async () => {
    const xdg = mkdtempSync(path.join(dir, 'xdg-'))
    const cache = path.join(xdg, 'c1m')
    mkdirSync(cache, {mode: 0o700})
    // A PID that is surely dead: a process that has run and been waited for.
    const dead = spawnSync('true').pid
    assert.ok(dead && dead > 0)
    const name = probeBinaryName('echo-client')
    const orphan = `.${name}.${dead}.0badc0de.tmp`
    const live = `.${name}.${process.pid}.12345678.tmp`
    const other = 'notes.tmp'
    for (const file of [orphan, live, other]) writeFileSync(path.join(cache, file), 'half a binary', {mode: 0o600})
    const binary = await withEnv({XDG_CACHE_HOME: xdg}, () => compileProbe('echo-client'))
    assert.ok(existsSync(binary))
    const left = readdirSync(cache)
    assert.ok(!left.includes(orphan), 'the dead compile\'s temporary build is still there')
    assert.ok(left.includes(live), 'a live compile\'s temporary build was removed')
    assert.ok(left.includes(other), 'a file not named as a build was removed')
  })
})
