import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {run, runJson} from './helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-bad-input-'))
after(() => rmSync(dir, {recursive: true, force: true}))
const file = path.join(dir, 'a-file')
writeFileSync(file, 'not a directory\n')

/** A c1m run refused as a usage error: exit 2, one line on stderr naming the flag, and nothing started. */
async function assertRefused(args: string[], why: RegExp): Promise<void> {
  const {stderr, exitCode} = await run(args)
  assert.equal(exitCode, 2, `${args.join(' ')}: ${stderr}`)
  const lines = stderr.trim().split('\n')
  assert.equal(lines.length, 1, `more than one line: ${stderr}`)
  assert.match(lines[0], why, args.join(' '))
  assert.match(lines[0], /\[E_USAGE, exit 2\]$/)
  // A probe that had started would have said where it runs and what it starts.
  assert.doesNotMatch(stderr, /network namespace c1m|host loopback|starting|listening/)
}

describe('bad output paths and numbers are refused before anything starts', () => {
  // 30k connections in 30 steps would take many seconds: a refusal comes before any of it.
  const longProbe = ['probe', '--conns', '30k', '--steps', '30']
  it('probe --out under a regular file (ENOTDIR), a directory, a device, a missing directory', async () => {
    await assertRefused([...longProbe, '--out', path.join(file, 'x.json')], /--out .*a-file\/x\.json: .*a-file is not a directory/)
    // A directory named like a report: the extension rule passes it, the path check refuses it.
    const dirNamedJson = path.join(dir, 'report.json')
    mkdirSync(dirNamedJson)
    await assertRefused([...longProbe, '--out', dirNamedJson], /--out .*report\.json: it is a directory/)
    rmSync(dirNamedJson, {recursive: true})
    await assertRefused([...longProbe, '--html', '/dev/null'], /--html \/dev\/null: it is not a regular file/)
    await assertRefused([...longProbe, '--html', path.join(dir, 'missing/x.html')], /the directory .*missing does not exist/)
    assert.deepEqual(readdirSync(dir), ['a-file'], 'a probe file was left behind')
  })

  it('estimate --out under a regular file is refused, and a good --out is written', async () => {
    await assertRefused(['estimate', '--conns', '1000', '--out', path.join(file, 'x.html')], /--out .*x\.html: .*a-file is not a directory/)
    const good = path.join(dir, 'estimate.html')
    const {exitCode} = await runJson(['estimate', '--conns', '1000', '--out', good])
    assert.equal(exitCode, 0)
    assert.ok(existsSync(good))
    rmSync(good)
  })

  it('durations out of range for probe, client and server', async () => {
    await assertRefused([...longProbe, '--open-timeout', '0'], /--open-timeout must be from 100ms to 24h, got "0"/)
    await assertRefused([...longProbe, '--settle', '2h'], /--settle must be from 0 to 1h/)
    await assertRefused([...longProbe, '--hold', '8d'], /--hold must be from 0 to 168h, got "8d"/)
    await assertRefused([...longProbe, '--hold', '1s', '--message-size', '64', '--interval', '0'], /--interval must be from 1ms to 1h/)
    await assertRefused(['client', '--target', '127.0.0.1:9', '--conns', '10', '--open-timeout', '0'], /--open-timeout must be from 100ms/)
    await assertRefused(['client', '--target', '127.0.0.1:9', '--conns', '10', '--hold', '200h'], /--hold must be from 0 to 168h or forever, got "200h"/)
    await assertRefused(['server', '--port', '0', '--interval', '0'], /--interval must be from 1ms to 1h/)
    await assertRefused(['server', '--port', '0', '--duration', '0'], /--duration must be from 1ms to 168h or forever, got "0"/)
  })
})
