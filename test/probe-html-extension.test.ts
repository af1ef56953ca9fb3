import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {run} from './helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-html-ext-'))
after(() => rmSync(dir, {recursive: true, force: true}))

describe('probe --html checks the extension as --out does', () => {
  it('--html x.json is one line, exit 2, before anything starts, and writes no file', async () => {
    // 30k connections in 30 steps would take many seconds: the refusal comes before any of it.
    const started = performance.now()
    const {stdout, stderr, exitCode} = await run(['probe', '--conns', '30k', '--steps', '30', '--html', path.join(dir, 'x.json')])
    assert.equal(exitCode, 2, stderr)
    assert.equal(stdout, '')
    const lines = stderr.trim().split('\n')
    assert.equal(lines.length, 1, stderr)
    assert.match(lines[0], /^c1m: --html .*x\.json: --html writes an HTML page, and its extension "\.json" is not \.html or \.htm \(--out .*x\.json writes the JSON report\); name the file x\.html \[E_USAGE, exit 2\]$/)
    assert.ok(performance.now() - started < 20_000, 'the probe ran before refusing')
    assert.deepEqual(readdirSync(dir), [])
  })

  it('--html with a .htm or .html name, or none, is still taken (the path check decides the rest)', async () => {
    const {stderr, exitCode} = await run(['probe', '--conns', '30k', '--steps', '30', '--html', '/dev/null'])
    assert.equal(exitCode, 2)
    assert.match(stderr, /--html \/dev\/null: it is not a regular file/)
  })
})
