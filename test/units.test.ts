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
  it('prints 1000 to 1023 of a unit as a whole number with separators, never 1.00e+3', () => {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
    for (const [i, unit] of units.entries()) {
      const one = 1024 ** i
      assert.equal(formatBytes(999 * one), `999 ${unit}`)
      assert.equal(formatBytes(1000 * one), `1,000 ${unit}`)
      assert.equal(formatBytes(1010 * one), `1,010 ${unit}`)
      assert.equal(formatBytes(1023 * one), `1,023 ${unit}`)
      // 1024 of a unit is one of the next; TiB is the last unit, so it counts on
      assert.equal(formatBytes(1024 * one), i < units.length - 1 ? `1.00 ${units[i + 1]}` : '1,024 TiB')
    }
    // three figures round 999.5 up to 1000: that is the first whole-number value, not 1.00e+3
    assert.equal(formatBytes(999.4 * 1024), '999 KiB')
    assert.equal(formatBytes(999.5 * 1024), '1,000 KiB')
    assert.equal(formatBytes(-1010 * 1024), '-1,010 KiB')
    assert.equal(formatBytes(5000 * 1024 ** 4), '5,000 TiB')
    for (let bytes = 1; bytes < 1024 ** 5; bytes = Math.ceil(bytes * 1.003)) assert.doesNotMatch(formatBytes(bytes), /e[+-]/, String(bytes))
  })
})
