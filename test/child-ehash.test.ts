import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {ehashEntriesFor, withChildEhash} from '../src/host/child-ehash.js'

// A stand-in file: tests never write the host's net.ipv4.tcp_child_ehash_entries.
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-ehash-'))
after(() => rmSync(dir, {recursive: true, force: true}))

describe('tcp_child_ehash_entries for the probe namespace', () => {
  it('sizes the table at one bucket a socket, a power of two within the kernel bounds', () => {
    assert.equal(ehashEntriesFor(2_000_000), 2_097_152)
    assert.equal(ehashEntriesFor(2 * 3000), 8192)
    assert.equal(ehashEntriesFor(10), 1024)
    assert.equal(ehashEntriesFor(1e9), 2 ** 24)
  })

  it('sets the value only while creating, and restores it even when creating fails', async () => {
    const file = path.join(dir, 'tcp_child_ehash_entries')
    writeFileSync(file, '0\n')
    const made = await withChildEhash(4096, async () => readFileSync(file, 'utf8').trim(), file)
    assert.deepEqual(made, {result: '4096', previous: '0'})
    assert.equal(readFileSync(file, 'utf8').trim(), '0')
    await assert.rejects(withChildEhash(8192, async () => {
      throw new Error('ip netns add failed')
    }, file), /ip netns add failed/)
    assert.equal(readFileSync(file, 'utf8').trim(), '0')
  })
})
