import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {C1mError} from '../src/errors.js'
import {formatBytes, parseCount, parseSize} from '../src/units.js'

describe('parseCount', () => {
  it('reads every documented form as the same number', () => {
    for (const text of ['1e6', '1M', '1m', '1000000', '1_000_000', '1,000,000', '1000k']) assert.equal(parseCount(text), 1_000_000, text)
    assert.equal(parseCount('250k'), 250_000)
    assert.equal(parseCount('1.5M'), 1_500_000)
  })
  it('rejects what is not a positive whole count, as a usage error', () => {
    for (const text of ['abc', '-5', '0', '1.5', '', '1e', '2x']) {
      assert.throws(() => parseCount(text, 'conns'), (e: unknown) => e instanceof C1mError && e.exit === 2 && e.message.includes('--conns'), text)
    }
  })
})

describe('parseSize', () => {
  it('reads binary and decimal units', () => {
    assert.equal(parseSize('24GiB'), 24 * 1024 ** 3)
    assert.equal(parseSize('24G'), 24 * 1024 ** 3)
    assert.equal(parseSize('512MB'), 512e6)
    assert.equal(parseSize('4096'), 4096)
  })
  it('rejects unknown units', () => {
    assert.throws(() => parseSize('12XB', 'ram'), (e: unknown) => e instanceof C1mError && e.exit === 2 && e.message.includes('--ram'))
  })
})

describe('formatBytes', () => {
  it('prints binary units with three figures', () => {
    assert.equal(formatBytes(512), '512 B')
    assert.equal(formatBytes(1536), '1.50 KiB')
    assert.equal(formatBytes(24 * 1024 ** 3), '24.0 GiB')
  })
})
