import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {run} from './helpers.js'
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

/** Columns between the leftmost and rightmost pixel of any of these "#rrggbb" colours. */
function horizontalSpan(image: Image, ...hexes: string[]): number {
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
  return max < 0 ? 0 : max - min
}

describe('the probe HTML report in headless Chromium', {skip}, () => {
  it('renders the chart of memory against connections', async () => {
    const html = path.join(dir, 'probe.html')
    const probe = await run(['probe', '--conns', '2000', '--steps', '4', '--settle', '50ms', '--html', html])
    assert.equal(probe.exitCode, 0, probe.stderr)
    const url = `file://${html}`

    // Chromium's parsed DOM: one SVG with a measured line and a fitted line per series, a point per sample.
    const dom = await chromiumOn(url, ['--dump-dom'])
    assert.match(dom, /<svg[^>]*width="720"/)
    assert.equal(dom.match(/<polyline class="measured"/g)?.length, 3)
    assert.equal(dom.match(/<line [^>]*class="fit"/g)?.length, 3)
    assert.equal(dom.match(/<circle /g)?.length, 3 * 5)
    assert.match(dom, /kernel \(slab \+ TCP buffers\), growth/)

    // The pixels: each series' colour drawn across the plot, not only in the legend.
    const shot = path.join(dir, 'probe.png')
    await chromiumOn(url, ['--window-size=800,1000', `--screenshot=${shot}`])
    const image = decodePng(readFileSync(shot))
    assert.deepEqual([image.width, image.height], [800, 1000])
    const [kernel, server, client] = ['#c0392b', '#2471a3', '#229954']
    // Every series' colour is on the page (the legend at least)...
    for (const colour of [kernel, server, client]) assert.ok(countColour(image, colour) > 20, `${countColour(image, colour)} pixels of ${colour}`)
    // ...and the lines cross the plot (610 px wide; the legend is under 200): the kernel's on its
    // own, the servers' and clients' together, since at a few MiB each one may hide the other.
    assert.ok(horizontalSpan(image, kernel) > 500, `kernel series spans ${horizontalSpan(image, kernel)} px`)
    assert.ok(horizontalSpan(image, server, client) > 500, `process series span ${horizontalSpan(image, server, client)} px`)
  })
})
