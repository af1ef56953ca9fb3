import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {ChartPoint, EstimateResult} from '../src/core/estimate/plan-estimate.js'
import {renderMemorySvg} from '../src/reports/estimate-html.js'
import {renderTextChart} from '../src/reports/text-chart.js'

const GiB = 1024 ** 3
const points: ChartPoint[] = [0, 1, 2, 3, 4].map((i) => ({conns: i * 250_000, fixed: 2 * GiB, kernel: i * 2 * GiB, process: i * GiB, total: 2 * GiB + i * 3 * GiB}))

describe('estimate renderers', () => {
  it('text chart: one row per point, bars split into base, kernel and process, RAM marked', () => {
    const rows = renderTextChart(points, 8 * GiB, 40)
    assert.equal(rows.length, 1 + points.length)
    // scale: the largest of RAM (8 GiB) and the last total (14 GiB) spans 40 columns
    const bar = (row: string) => row.slice(row.indexOf('  ', 9) + 2).split('  ')[0]
    const last = bar(rows.at(-1)!)
    assert.equal((last.match(/\./g) ?? []).length, Math.round((2 / 14) * 40))
    assert.equal(last.replace(/[^.#=!]/g, '').length, 40)
    // the first bars stay under the RAM line; the later ones cross it
    assert.match(rows[1], /^\s+0 {2}\.+ +\| +2\.00 GiB$/)
    assert.match(rows.at(-1)!, /!/)
    assert.doesNotMatch(rows[2], /!/)
  })

  it('SVG chart: three stacked areas, the RAM, N and the host maximum, a legend of each, nice ticks', () => {
    // 1M connections; the RAM (8 GiB) runs out at 2M, so the x axis runs past 2M
    const hostChart: ChartPoint[] = [0, 1, 2, 2.1].map((m) => ({conns: m * 1e6, fixed: 2 * GiB, kernel: m * 2 * GiB, process: m * GiB, total: 2 * GiB + m * 3 * GiB}))
    const result = {hostChart, ram: {bytes: 8 * GiB, source: 'this host'}, connsPerHost: 1e6, maxConnsPerHost: 2e6, hosts: 1} as unknown as EstimateResult
    const svg = renderMemorySvg(result)
    assert.equal((svg.match(/<polygon class="area"/g) ?? []).length, 3)
    const ys = [...svg.matchAll(/<polygon[^>]* points="([^"]+)"/g)].flatMap((m) => m[1].split(' ').map((p) => Number(p.split(',')[1])))
    assert.ok(ys.every((y) => y >= 0 && y <= 380))
    assert.match(svg, /RAM 8 GiB|RAM 8\.00 GiB/)
    const legend = [...svg.matchAll(/class="legend-item" data-series="([^"]+)"/g)].map((m) => m[1])
    assert.deepEqual(legend, ['base and headroom', 'kernel', 'process', 'RAM (8.00 GiB)', 'N = 1,000,000', "this host's maximum (2,000,000)"])
    // y ticks at whole GiB steps, x ticks inside the view box and past the host maximum
    const yTicks = [...svg.matchAll(/class="y-tick"[^>]*>([^<]+)</g)].map((m) => m[1])
    assert.ok(yTicks.length >= 3 && yTicks.every((t) => /^\d+ GiB$/.test(t)), yTicks.join(', '))
    const xTicks = [...svg.matchAll(/class="x-tick" x="([\d.]+)"[^>]*>([^<]+)</g)].map((m) => [Number(m[1]), m[2]] as const)
    assert.ok(xTicks.some(([, label]) => label === '2M'), JSON.stringify(xTicks))
    for (const [x] of xTicks) assert.ok(x + 20 <= 720, `x tick at ${x} is clipped`)
  })
})
