import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import {parseKbField, readProcessMemory} from '../src/host/read/process-memory.js'
import {hostRoot} from '../src/host/files/root.js'

describe('readProcessMemory', () => {
  it('reads VmRSS and Pss from a saved /proc tree', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-pm-'))
    try {
      mkdirSync(path.join(dir, 'proc/42'), {recursive: true})
      writeFileSync(path.join(dir, 'proc/42/status'), 'Name:\techo-server\nVmHWM:\t    4000 kB\nVmRSS:\t    3276 kB\nThreads:\t1\n')
      writeFileSync(path.join(dir, 'proc/42/smaps_rollup'), '55d0-7ffd ---p 00000000 00:00 0  [rollup]\nRss:                3276 kB\nPss:                1200 kB\n')
      assert.deepEqual(readProcessMemory(hostRoot(dir), 42), {rss: 3276 * 1024, pss: 1200 * 1024})
      assert.equal(readProcessMemory(hostRoot(dir), 43), undefined)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('reads this live process', () => {
    const memory = readProcessMemory(hostRoot('/'), process.pid)!
    assert.ok(memory.rss > 1024 ** 2, `rss ${memory.rss}`)
    assert.ok(memory.pss! > 0 && memory.pss! <= memory.rss * 1.01)
  })

  it('matches whole field names only', () => {
    assert.equal(parseKbField('VmRSSx:  1 kB\nVmRSS:  2 kB\n', 'VmRSS'), 2048)
  })
})
