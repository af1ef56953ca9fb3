import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import {badFigures} from '../src/core/probe/guard-figures.js'
import {connectionsThatFit, estimateMemory, type MemoryInput} from '../src/core/estimate/memory-model.js'
import {planEstimate} from '../src/core/estimate/plan-estimate.js'
import {resolveRuntime} from '../src/core/estimate/resolve-runtime.js'
import {readHost} from '../src/host/read/read-host.js'
import {hostRoot} from '../src/host/files/root.js'
import {settingRows} from '../src/core/estimate/estimate-settings.js'
import {renderEstimateHtml} from '../src/reports/estimate-html.js'
import {renderEstimateText} from '../src/reports/estimate-text.js'
import {FIXTURES} from './helpers.js'

const INPUT: MemoryInput = {
  conns: 1000, role: 'server', bytesPerSocket: 5000, conntrackEntryBytes: 0, bufferBytesPerConn: 0, processBytesPerConn: 2048,
  baseBytes: 1e9, minFreeBytes: 67e6, memTotalBytes: 24e9,
}

describe('negative and non-finite figures are refused, never drawn', () => {
  it('badFigures names each figure that cannot be memory', () => {
    assert.deepEqual(badFigures({a: 1, b: -12_288, c: Number.NaN, d: Infinity, e: 0}), ['b -12288 B', 'c NaN', 'd Infinity'])
  })

  it('the memory model refuses a negative, NaN or zero kernel cost and a negative process figure', () => {
    assert.throws(() => estimateMemory({...INPUT, bytesPerSocket: -6144}), (e: Error & {code?: string}) => e.code === 'E_RUNTIME' && /kernel bytes per socket -6144 B/.test(e.message))
    assert.throws(() => estimateMemory({...INPUT, bytesPerSocket: Number.NaN}), /kernel bytes per socket NaN/)
    assert.throws(() => estimateMemory({...INPUT, bytesPerSocket: 0}), /0 B per socket/)
    assert.throws(() => estimateMemory({...INPUT, processBytesPerConn: -1}), /process -1 B/)
    assert.equal(estimateMemory(INPUT).perConn, 5000 + 2048)
  })

  it('connectionsThatFit gives 0, not Infinity or a negative count, when nothing grows per connection', () => {
    assert.equal(connectionsThatFit({terms: [], perConn: 0, fixed: 0, total: 0}, 1e9), 0)
    assert.equal(connectionsThatFit({terms: [], perConn: 1000, fixed: 2e9, total: 2e9}, 1e9), 0)
  })

  it('the text and HTML renderers refuse an estimate with a negative figure', async () => {
    const host = await readHost(hostRoot(path.join(FIXTURES, 'estimate-host')))
    const good = planEstimate({conns: 3000, role: 'loopback', host, runtime: resolveRuntime({})})
    assert.match(renderEstimateText(good, settingRows(good)), /^Fits: /m)
    const bad = structuredClone(good)
    bad.memory.terms[0].perConn = -12_288
    bad.memory.terms[0].total = -12_288 * 3000
    assert.throws(() => renderEstimateText(bad, settingRows(bad)), /kernel sockets per connection -12288 B/)
    assert.throws(() => renderEstimateHtml(bad, settingRows(bad)), /kernel sockets per connection -12288 B/)
  })
})
