import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {ChartPoint} from '../src/core/plan-estimate.js'
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

  it('SVG chart: three stacked areas and the RAM line, well within the view box', () => {
    const svg = renderMemorySvg(points, 8 * GiB)
    assert.equal((svg.match(/<polygon class="area"/g) ?? []).length, 3)
    const ys = [...svg.matchAll(/points="([^"]+)"/g)].flatMap((m) => m[1].split(' ').map((p) => Number(p.split(',')[1])))
    assert.ok(ys.every((y) => y >= 0 && y <= 360))
    assert.match(svg, /RAM 8\.00 GiB/)
  })
})
