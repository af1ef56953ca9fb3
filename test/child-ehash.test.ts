import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, describe, it} from 'node:test'

import {ehashEntriesFor, restoreChildEhash, withChildEhash} from '../src/host/probe/child-ehash.js'

// A stand-in file: these tests never write the host's net.ipv4.tcp_child_ehash_entries (the
// probe test with a real kill -9 is in probe-own-ehash.test.ts).
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-ehash-'))
after(() => rmSync(dir, {recursive: true, force: true}))

function standIn(name: string, value: string) {
  const sysctl = path.join(dir, `${name}-tcp_child_ehash_entries`)
  writeFileSync(sysctl, `${value}\n`)
  return {paths: {sysctl, dir: path.join(dir, `${name}-state`)}, value: () => readFileSync(sysctl, 'utf8').trim()}
}

describe('tcp_child_ehash_entries for the probe namespace', () => {
  it('sizes the table at one bucket a socket, a power of two within the kernel bounds', () => {
    assert.equal(ehashEntriesFor(2_000_000), 2_097_152)
    assert.equal(ehashEntriesFor(2 * 3000), 8192)
    assert.equal(ehashEntriesFor(10), 1024)
    assert.equal(ehashEntriesFor(1e9), 2 ** 24)
  })

  it('sets the value only while creating, and restores it even when creating fails', async () => {
    const {paths, value} = standIn('once', '0')
    const made = await withChildEhash(4096, async () => value(), paths)
    assert.deepEqual(made, {result: '4096', previous: '0'})
    assert.equal(value(), '0')
    await assert.rejects(withChildEhash(8192, async () => {
      throw new Error('ip netns add failed')
    }, paths), /ip netns add failed/)
    assert.equal(value(), '0')
    assert.ok(!existsSync(path.join(paths.dir, 'record.json')), 'the record outlived the run')
  })

  it('two runs at once take turns, so the second never records the first one\'s value as the host\'s', async () => {
    // Unserialized: A sets 4096, B reads 4096 as "previous", A puts 0 back, B puts 4096 back.
    const {paths, value} = standIn('pair', '0')
    const seen: string[] = []
    const slow = async () => {
      seen.push(value())
      await sleep(200)
      return value()
    }
    const a = withChildEhash(4096, slow, paths)
    await sleep(50)
    const b = withChildEhash(8192, slow, paths)
    const [ra, rb] = await Promise.all([a, b])
    assert.deepEqual([ra.previous, rb.previous], ['0', '0'])
    assert.deepEqual(seen, ['4096', '8192'])
    assert.equal(value(), '0')
  })

  it('a run killed with the value set leaves a record, and the next run puts the value back', async () => {
    const {paths, value} = standIn('killed', '0')
    // What a run killed inside `ip netns add` leaves: the setting raised, and its record.
    await withChildEhash(65_536, async () => {
      writeFileSync(path.join(paths.dir, 'left.json'), readFileSync(path.join(paths.dir, 'record.json')))
    }, paths)
    writeFileSync(path.join(paths.dir, 'record.json'), readFileSync(path.join(paths.dir, 'left.json')))
    writeFileSync(paths.sysctl, '65536\n')
    assert.deepEqual(await restoreChildEhash(paths), {restored: '0', was: '65536', pid: process.pid})
    assert.equal(value(), '0')
    assert.equal(await restoreChildEhash(paths), undefined)
    // And a run with --own-ehash that comes first records the host's value, not the leaked one.
    writeFileSync(path.join(paths.dir, 'record.json'), readFileSync(path.join(paths.dir, 'left.json')))
    writeFileSync(paths.sysctl, '65536\n')
    assert.equal((await withChildEhash(4096, async () => value(), paths)).previous, '0')
    assert.equal(value(), '0')
  })
})
