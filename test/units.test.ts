import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {C1mError} from '../src/core/errors.js'
import {formatBytes, parseCount, parseSize} from '../src/core/units.js'

describe('parseCount', () => {
  it('reads every documented form as the same number', () => {
    for (const text of ['1e6', '1M', '1m', '1000000', '1_000_000', '1,000,000', '1000k']) assert.equal(parseCount(text), 1_000_000, text)
    assert.equal(parseCount('250k'), 250_000)
    assert.equal(parseCount('1.5M'), 1_500_000)
    assert.equal(parseCount('10,000,000'), 10_000_000)
    assert.equal(parseCount('250,000'), 250_000)
  })
  it('rejects what is not a positive whole count, as a usage error', () => {
    for (const text of ['abc', '-5', '0', '1.5', '', '1e', '2x', '1,5', '1,000,0000', '10,00', ',100', '1,,000', '100,']) {
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
  it('takes fractions with a unit, never a fraction of a byte', () => {
    assert.equal(parseSize('1.5GiB'), 1.5 * 1024 ** 3)
    assert.equal(parseSize('1.5K'), 1536)
    for (const text of ['1.5', '1.5B', '0.5', '0.0001KiB', '0']) {
      assert.throws(() => parseSize(text, 'ram'), (e: unknown) => e instanceof C1mError && e.exit === 2 && e.message.includes('--ram'), text)
    }
    assert.throws(() => parseSize('1.5', 'ram'), /1\.5 GiB\?/)
  })
})

describe('formatBytes', () => {
  it('prints binary units with three figures', () => {
    assert.equal(formatBytes(512), '512 B')
    assert.equal(formatBytes(1536), '1.50 KiB')
    assert.equal(formatBytes(24 * 1024 ** 3), '24.0 GiB')
  })
})
