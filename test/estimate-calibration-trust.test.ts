import assert from 'node:assert/strict'
import {chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {FIXTURES, run} from './helpers.js'

// Crafted probe reports through the real binary: the ones a disturbed or foreign run leaves
// behind must never calibrate an estimate.
const KERNEL = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
const DAY = 86_400_000

type Report = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

function good(): Report {
  const r = JSON.parse(readFileSync(path.join(FIXTURES, 'probe-20k.json'), 'utf8'))
  r.host.kernel = KERNEL
  r.generatedAt = new Date(Date.now() - 3 * DAY).toISOString()
  return r
}

/** The 3,000-connection run of the issue: kernel fit -12 KiB per connection, r2 0.16. */
function disturbed(): Report {
  const r = good()
  r.fit.kernel = {baseBytes: 200_000_000, bytesPerConn: -12_288, r2: 0.16, bytesPerSocket: -6144}
  return r
}

const CRAFTED: Array<[string, () => Report, RegExp]> = [
  ['a negative kernel fit with r2 0.16', disturbed, /r2 is 0\.16.*-6144 B per socket is outside/],
  ['r2 0.16 with a plausible slope', () => ({...good(), fit: {...good().fit, kernel: {...good().fit.kernel, r2: 0.16}}}), /r2 is 0\.16, below 0\.95/],
  ['2 samples', () => ({...good(), samples: good().samples.slice(0, 2)}), /only 2 samples/],
  ['a run that stopped early', () => ({...good(), stopped: 'EMFILE at 1,200 connections'}), /stopped early: EMFILE/],
]

let tmp: string
before(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'c1m-trust-'))
})
after(() => rmSync(tmp, {recursive: true, force: true}))

function writeReport(dir: string, name: string, report: Report, ageMs: number): string {
  const file = path.join(dir, name)
  writeFileSync(file, JSON.stringify(report))
  const t = (Date.now() - ageMs) / 1000
  utimesSync(file, t, t)
  return file
}

describe('--calibration FILE with a report that is not a measurement', () => {
  for (const [what, make, reason] of CRAFTED) {
    it(`${what}: exit 2 (E_BAD_REPORT) with the reasons, in text and JSON`, async () => {
      const file = writeReport(tmp, `${what.replaceAll(/\W+/g, '-')}.json`, make(), 0)
      const json = await run(['estimate', '--conns', '1M', '--calibration', file, '--json'])
      assert.equal(json.exitCode, 2, json.stdout)
      const envelope = JSON.parse(json.stdout)
      assert.equal(envelope.status, 2)
      assert.equal(envelope.error.code, 'E_BAD_REPORT')
      assert.match(envelope.error.message, reason)
      const text = await run(['estimate', '--conns', '1M', '--calibration', file])
      assert.equal(text.exitCode, 2)
      assert.equal(text.stdout, '')
      assert.match(text.stderr, /^c1m: .*cannot calibrate an estimate: .*\[E_BAD_REPORT, exit 2\]$/)
      assert.doesNotMatch(text.stderr, /RangeError|at .*\.js:\d+/)
    })
  }
})

describe('--calibration FILE from another kernel', () => {
  it('is used, since the user chose it, with a warning naming both kernels', async () => {
    const file = writeReport(tmp, 'other-kernel.json', {...good(), host: {...good().host, kernel: '5.4.0-other'}}, 0)
    const out = await run(['estimate', '--conns', '1M', '--calibration', file, '--json'])
    assert.equal(out.exitCode, 0, out.stderr)
    const envelope = JSON.parse(out.stdout)
    assert.equal(envelope.result.kernel.source, 'probe report')
    assert.equal(envelope.result.calibrationReport.chosen, '--calibration')
    assert.ok(envelope.warnings.some((w: string) => w.includes(`measured on kernel 5.4.0-other, this host runs ${KERNEL}`)), envelope.warnings.join('\n'))
  })
})

describe('the automatic lookup of saved reports', () => {
  it('skips invalid, foreign-kernel, other-owner and group-writable reports, names each, and uses the newest good one', async () => {
    const dir = path.join(tmp, 'probes')
    mkdirSync(dir, {mode: 0o700})
    writeReport(dir, 'a-negative.json', disturbed(), 1000)
    writeReport(dir, 'b-other-kernel.json', {...good(), host: {...good().host, kernel: '5.4.0-other'}}, 2000)
    writeReport(dir, 'c-stopped.json', {...good(), stopped: 'EMFILE at 1,200 connections'}, 3000)
    writeReport(dir, 'd-two-samples.json', {...good(), samples: good().samples.slice(0, 2)}, 4000)
    chownSync(writeReport(dir, 'e-nobody.json', good(), 5000), 65_534, 65_534)
    chmodSync(writeReport(dir, 'f-group-writable.json', good(), 6000), 0o664)
    const used = writeReport(dir, 'g-good.json', good(), 7000)
    writeReport(dir, 'h-older-good.json', good(), 8000)

    const out = await run(['estimate', '--conns', '1M', '--json'], {env: {C1M_PROBE_DIR: dir}})
    assert.equal(out.exitCode, 0, out.stderr)
    const envelope = JSON.parse(out.stdout)
    const r = envelope.result
    assert.equal(r.kernel.source, 'probe report')
    assert.equal(r.calibrationReport.file, used)
    assert.equal(r.calibrationReport.age, '3 days old')
    const why = Object.fromEntries(r.skippedReports.map((s: {file: string; why: string}) => [path.basename(s.file), s.why]))
    assert.deepEqual(Object.keys(why).sort(), ['a-negative.json', 'b-other-kernel.json', 'c-stopped.json', 'd-two-samples.json', 'e-nobody.json', 'f-group-writable.json'])
    assert.match(why['a-negative.json'], /r2 is 0\.16/)
    assert.match(why['b-other-kernel.json'], new RegExp(`kernel 5\\.4\\.0-other, this host runs ${KERNEL.replaceAll('.', '\\.')}`))
    assert.match(why['c-stopped.json'], /stopped early/)
    assert.match(why['d-two-samples.json'], /only 2 samples/)
    assert.match(why['e-nobody.json'], /owned by uid 65534/)
    assert.match(why['f-group-writable.json'], /writable by its group/)
    assert.ok(envelope.warnings.some((w: string) => w === `calibrated by ${used} (tcp, 20000 connections, 3 days old; the newest report of this kind in ${dir}; pass --calibration FILE to choose one)`), envelope.warnings.join('\n'))
    assert.equal(envelope.warnings.filter((w: string) => w.startsWith('skipped probe report ')).length, 6)

    // text mode: the same warnings on stderr, the estimate on stdout
    const text = await run(['estimate', '--conns', '1M'], {env: {C1M_PROBE_DIR: dir}})
    assert.equal(text.exitCode, 0, text.stderr)
    assert.match(text.stderr, /warning: skipped probe report .*a-negative\.json: .*r2 is 0\.16/)
    assert.match(text.stderr, /warning: calibrated by .*g-good\.json \(tcp, 20000 connections, 3 days old/)
    assert.match(text.stdout, /^Fits: /m)
  })

  it('trusts nothing in a directory another user may write', async () => {
    const dir = path.join(tmp, 'open-probes')
    mkdirSync(dir)
    chmodSync(dir, 0o777)
    writeReport(dir, 'good.json', good(), 0)
    const out = await run(['estimate', '--conns', '1M', '--json'], {env: {C1M_PROBE_DIR: dir}})
    assert.equal(out.exitCode, 0, out.stderr)
    const envelope = JSON.parse(out.stdout)
    assert.equal(envelope.result.kernel.source, 'slabinfo')
    assert.equal(envelope.result.calibrationReport, null)
    assert.ok(envelope.warnings.some((w: string) => w.includes(dir) && w.includes('writable by every user')), envelope.warnings.join('\n'))
  })

  it('uses nothing when every report is unusable, and still estimates from the kernel model', async () => {
    const dir = path.join(tmp, 'bad-only')
    mkdirSync(dir, {mode: 0o700})
    writeReport(dir, 'negative.json', disturbed(), 0)
    const json = await run(['estimate', '--conns', '3000', '--json'], {env: {C1M_PROBE_DIR: dir}})
    const r = JSON.parse(json.stdout).result
    assert.equal(r.kernel.source, 'slabinfo')
    assert.ok(r.memory.terms.every((t: {perConn: number; total: number}) => t.perConn >= 0 && t.total >= 0))
    assert.ok(r.maxConnsPerHost > 3000 && r.fits)
    for (const args of [[], ['--out', path.join(tmp, 'e.html')]]) {
      const out = await run(['estimate', '--conns', '3000', ...args], {env: {C1M_PROBE_DIR: dir}})
      assert.equal(out.exitCode, 0, out.stderr)
      assert.match(out.stderr, /skipped probe report .*negative\.json/)
      assert.doesNotMatch(out.stdout, /RangeError|(^|[\s(])-\d[\d.]* (B|KiB|MiB|GiB)\b|holds at most 0 /)
    }
    const html = readFileSync(path.join(tmp, 'e.html'), 'utf8')
    assert.match(html, /Fits: /)
  })
})
