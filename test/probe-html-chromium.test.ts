import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {copyFileSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {FIXTURES, run, VERSION} from './helpers.js'
import {countColour, decodePng, type Image} from './png.js'

const found = await execa('sh', ['-c', 'command -v chromium'], {reject: false})
const chromium = found.exitCode === 0 ? found.stdout.trim() : undefined
// CI installs chromium (.ci/run): there a missing one is a failure, not a skip.
const skip = chromium || process.env.CI ? false : 'chromium is not installed (apt-get install chromium; .ci/run does)'

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-chromium-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/** Run headless Chromium on a page with extra flags; killed (its whole process group, by PID) after 60 s. */
async function chromiumOn(url: string, flags: string[]): Promise<string> {
  assert.ok(chromium, 'chromium is not installed')
  const profile = mkdtempSync(path.join(dir, 'profile-'))
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--hide-scrollbars', '--force-device-scale-factor=1', ...flags, url]
  const child = spawn(chromium, args, {stdio: ['ignore', 'pipe', 'ignore'], detached: true})
  let stdout = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000)
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  clearTimeout(timer)
  // Its helper processes share the group; end any that linger.
  try {
    process.kill(-child.pid!, 'SIGKILL')
  } catch {
    // none left
  }
  assert.equal(code, 0, `chromium exited ${code}`)
  return stdout
}

/**
 * The leftmost and rightmost column holding a pixel of any of these "#rrggbb" colours ([Infinity,
 * -1] if none).
 */
function columns(image: Image, ...hexes: string[]): [number, number] {
  const colours = hexes.map((hex) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)))
  let min = Number.POSITIVE_INFINITY
  let max = -1
  for (let i = 0; i < image.width * image.height; i++) {
    const p = i * 4
    if (colours.some(([r, g, b]) => Math.abs(image.pixels[p] - r) <= 12 && Math.abs(image.pixels[p + 1] - g) <= 12 && Math.abs(image.pixels[p + 2] - b) <= 12)) {
      min = Math.min(min, i % image.width)
      max = Math.max(max, i % image.width)
    }
  }
  return [min, max]
}

/** Columns between the leftmost and rightmost pixel of any of these colours. */
function horizontalSpan(image: Image, ...hexes: string[]): number {
  const [min, max] = columns(image, ...hexes)
  return max < 0 ? 0 : max - min
}

/** The panels' SVG in Chromium's DOM, by data-panel. */
function panels(dom: string): Record<string, string> {
  return Object.fromEntries([...dom.matchAll(/<svg class="panel" data-panel="(\w+)"[\s\S]*?<\/svg>/g)].map((m) => [m[1], m[0]]))
}

async function screenshot(url: string, name: string, size: string): Promise<Image> {
  const shot = path.join(dir, `${name}.png`)
  await chromiumOn(url, [`--window-size=${size}`, `--screenshot=${shot}`])
  // Kept for a person to look at when C1M_SCREENSHOTS names a directory.
  if (process.env.C1M_SCREENSHOTS) copyFileSync(shot, path.join(process.env.C1M_SCREENSHOTS, `${name}.png`))
  return decodePng(readFileSync(shot))
}

describe('the probe HTML report in headless Chromium', {skip}, () => {
  it('renders a panel per quantity, with legends and a header', async () => {
    const html = path.join(dir, 'probe.html')
    const probe = await run(['probe', '--conns', '2000', '--steps', '4', '--settle', '50ms', '--out', html])
    assert.equal(probe.exitCode, 0, probe.stderr)
    const url = `file://${html}`

    // Chromium's parsed DOM: three panels; kernel growth alone, both sides' RSS together, a bar per step.
    const dom = await chromiumOn(url, ['--dump-dom'])
    const panel = panels(dom)
    assert.deepEqual(Object.keys(panel), ['kernel', 'process', 'rate'])
    assert.equal(panel.kernel.match(/<polyline class="measured"/g)?.length, 1)
    assert.equal(panel.kernel.match(/<polyline class="fit"/g)?.length, 1)
    assert.equal(panel.process.match(/<polyline class="measured"/g)?.length, 2)
    assert.equal(panel.process.match(/<polyline class="fit"/g)?.length, 2)
    assert.equal(dom.match(/<circle class="point"/g)?.length, 3 * 5)
    assert.equal(panel.rate.match(/<rect class="bar"/g)?.length, 4)
    // the legends name the dashed fits as dashed
    assert.equal(dom.match(/class="legend-item" data-series="[^"]*fit: [^"]*" data-style="dashed"/g)?.length, 3)
    for (const fact of ['host', 'kernel', 'c1m', 'date']) assert.match(dom, new RegExp(`<dd data-fact="${fact}">[^<]+</dd>`), fact)
    assert.match(dom, new RegExp(`<dd data-fact="c1m">c1m ${VERSION.replaceAll('.', '\\.')}</dd>`))

    // The pixels: each quantity's colour drawn across its plot (610 px wide), not only in a legend
    // (under 40 px).
    const image = await screenshot(url, 'probe', '800,1500')
    assert.deepEqual([image.width, image.height], [800, 1500])
    const [kernel, server, client, rate] = ['#c0392b', '#2471a3', '#229954', '#8e44ad']
    for (const colour of [kernel, server, client, rate]) assert.ok(countColour(image, colour) > 20, `${countColour(image, colour)} pixels of ${colour}`)
    assert.ok(horizontalSpan(image, kernel) > 500, `kernel series spans ${horizontalSpan(image, kernel)} px`)
    // servers and clients together, since at a few MiB each one may hide the other
    assert.ok(horizontalSpan(image, server, client) > 500, `process series span ${horizontalSpan(image, server, client)} px`)
    assert.ok(horizontalSpan(image, rate) > 500, `connect-rate bars span ${horizontalSpan(image, rate)} px`)
  })
})

describe('the estimate HTML report in headless Chromium', {skip}, () => {
  it('stacks the memory to past the host maximum, with the RAM, N and that maximum marked and a legend', async () => {
    const html = path.join(dir, 'estimate.html')
    const estimate = await run(['estimate', '--conns', '1M', '--root', path.join(FIXTURES, 'estimate-host'), '--out', html])
    assert.equal(estimate.exitCode, 0, estimate.stderr)
    const url = `file://${html}`
    const dom = await chromiumOn(url, ['--dump-dom'])
    const svg = panels(dom).memory
    assert.equal(svg.match(/<polygon class="area"/g)?.length, 3)
    const legend = [...svg.matchAll(/class="legend-item" data-series="([^"]+)"/g)].map((m) => m[1])
    assert.deepEqual(legend.slice(0, 4), ['base and headroom', 'kernel', 'process', legend[3]])
    assert.match(legend[3], /^RAM \(/)
    assert.match(legend[4], /^N = 1,000,000$/)
    assert.match(legend[5], /maximum \([\d,]+\)$/)
    // y ticks at round values of one unit
    const yTicks = [...svg.matchAll(/class="y-tick"[^>]*>([^<]+)</g)].map((m) => m[1])
    assert.ok(yTicks.every((t) => /^\d+ (GiB|MiB)$/.test(t)), yTicks.join(', '))
    for (const fact of ['host', 'kernel', 'c1m', 'date']) assert.match(dom, new RegExp(`<dd data-fact="${fact}">[^<]+</dd>`), fact)

    const image = await screenshot(url, 'estimate', '800,700')
    const [fixed, kernel, processColour, ram, max] = ['#c7d2de', '#4e79a7', '#f28e2b', '#d62728', '#2ca02c']
    for (const colour of [fixed, kernel, processColour]) assert.ok(countColour(image, colour) > 2000, `${countColour(image, colour)} pixels of ${colour}`)
    for (const colour of [ram, max]) assert.ok(countColour(image, colour) > 50, `${countColour(image, colour)} pixels of ${colour}`)
    // The areas run to the plot's right edge, past the host maximum's line (the legend's swatch is
    // further left).
    const areaRight = columns(image, kernel)[1]
    const maxRight = columns(image, max)[1]
    assert.ok(areaRight > maxRight + 5, `areas end at ${areaRight}, the host maximum is at ${maxRight}`)
    assert.ok(areaRight < 800 - 30, 'room on the right for the last x label')
  })
})
