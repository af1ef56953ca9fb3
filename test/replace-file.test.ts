import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import {escapeXml} from '../src/reports/escape.js'
import {replaceFile} from '../src/host/files/replace-file.js'

describe('replaceFile', () => {
  it('replaces a file whole and leaves no temporary file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-replace-'))
    try {
      const file = path.join(dir, 'out.json')
      writeFileSync(file, 'old\n')
      replaceFile(file, 'new\n')
      assert.equal(readFileSync(file, 'utf8'), 'new\n')
      assert.deepEqual(readdirSync(dir), ['out.json'])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('on failure keeps the target as it was and removes the temporary file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-replace-'))
    try {
      const target = path.join(dir, 'taken')
      mkdirSync(target)
      writeFileSync(path.join(target, 'keep'), 'x')
      assert.throws(() => replaceFile(target, 'new\n'))
      assert.deepEqual(readdirSync(dir), ['taken'])
      assert.equal(readFileSync(path.join(target, 'keep'), 'utf8'), 'x')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('escapeXml', () => {
  it('escapes & < > " for text and double-quoted attributes alike', () => {
    assert.equal(escapeXml(`<a title="x">&amp;</a>`), '&lt;a title=&quot;x&quot;&gt;&amp;amp;&lt;/a&gt;')
  })
})
