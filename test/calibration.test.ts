import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {calibrateFromReport} from '../src/core/estimate/calibration.js'
import {planEstimate} from '../src/core/estimate/plan-estimate.js'
import {resolveRuntime} from '../src/core/estimate/resolve-runtime.js'
import {findNewestProbeReport} from '../src/host/files/find-probe-report.js'
import {probeReportDir, readProbeReport} from '../src/host/files/probe-reports.js'
import {readHost} from '../src/host/read/read-host.js'
import {hostRoot} from '../src/host/files/root.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const fixtures = path.resolve(here, '../../test/fixtures')

// A hand-written report in the c1m.probe/1 schema with fixed figures for these unit tests; the
// round trip through a real probe run is test/estimate-roundtrip.test.ts.
const REPORT = path.join(fixtures, 'probe-small.json')

describe('calibration from a probe report', () => {
  it('reproduces the measured kernel and process figures at the measured scale and role', async () => {
    const report = readProbeReport(REPORT)
    const calibration = calibrateFromReport(report, REPORT)
    const host = await readHost(hostRoot(path.join(fixtures, 'estimate-host')))
    const n = calibration.measuredConns
    const r = planEstimate({
      conns: n, role: 'loopback', host, calibration, conntrack: calibration.conntrackBytesPerConn !== undefined,
      runtime: resolveRuntime({runtime: report.engine, calibration}),
    })
    const perConn = Object.fromEntries(r.memory.terms.map((t) => [t.name, t.perConn]))
    assert.equal(r.kernel.source, 'probe report')
    // kernel: sockets + bind entries + conntrack = the fit's kernel bytes per connection (to rounding)
    const kernel = perConn['kernel sockets'] + perConn['bind entries'] + calibration.conntrackBytesPerConn! 
    assert.ok(Math.abs(kernel - report.fit.kernel.bytesPerConn) <= 2, `${kernel} vs ${report.fit.kernel.bytesPerConn}`)
    assert.equal(perConn.process, report.fit.server.bytesPerConn + report.fit.client.bytesPerConn)
    // the measured samples' growth agrees with the fit the estimate used
    const first = report.samples[0]
    const last = report.samples.at(-1)!
    assert.equal((last.server.rss - first.server.rss) / (last.conns - first.conns), calibration.serverBytesPerConn)
  })

  it('takes the bind and conntrack entries the run grew out of the per-socket figure', () => {
    const report = readProbeReport(REPORT)
    const c = calibrateFromReport(report, REPORT)
    assert.equal(c.conntrackBytesPerConn, 256)
    assert.equal(c.bindBytesPerConn, undefined) // merged caches: not visible, left inside the kernel figure
    assert.equal(c.bytesPerSocket, (8400 - 256) / 2)
  })

  it('spreads each process base over the connections one process holds, when the report gives its shard plan', () => {
    const report = readProbeReport(REPORT)
    assert.equal(calibrateFromReport(report, REPORT).processBaseIncluded, false)
    const planned = {...report, plan: {processesPerSide: 2, hardNofile: 20_000}}
    const c = calibrateFromReport(planned, REPORT)
    assert.equal(c.processBaseIncluded, true)
    assert.equal(c.serverBytesPerConn, Math.round(1100 + 4_200_000 / 2 / (20_000 - 64)))
    assert.equal(c.clientBytesPerConn, Math.round(900 + 4_100_000 / 2 / (20_000 - 64)))
    // for a given N: the processes N takes, ceil(N / 19,936), each with its base
    const at = calibrateFromReport(planned, REPORT, 25_000)
    assert.equal(at.serverBytesPerConn, Math.round(1100 + (2_100_000 * 2) / 25_000))
  })

  it('refuses a report whose kernel figure is negative once bind and conntrack entries are taken out, and takes a process fit just below zero as no growth', () => {
    const report = readProbeReport(REPORT)
    const odd = {...report, fit: {...report.fit, slabPerConn: {...report.fit.slabPerConn, nf_conntrack: 9000}}}
    assert.throws(() => calibrateFromReport(odd, REPORT), (e: Error & {code?: string}) => e.code === 'E_BAD_REPORT' && /kernel bytes per socket -300 B/.test(e.message))
    const noisy = {...report, fit: {...report.fit, server: {...report.fit.server, bytesPerConn: -0.7}}}
    assert.equal(calibrateFromReport(noisy, REPORT).serverBytesPerConn, 0)
  })

  it('takes the figure settled during the hold, or the one grown by the end of a soak, and says which', () => {
    const report = readProbeReport(REPORT)
    const ramp = calibrateFromReport(report, REPORT)
    assert.deepEqual(ramp.serverFigure, {kind: 'ramp'})
    assert.equal(resolveRuntime({runtime: 'native', calibration: ramp}).from, `measured by c1m probe (${REPORT})`)
    const held = {trend: 'settled', bytesPerConn: 900, settledAfter: 4, rampBytesPerConn: 1100}
    const settled = calibrateFromReport({...report, hold: {held}} as typeof report, REPORT)
    assert.equal(settled.serverBytesPerConn, 900)
    assert.deepEqual(settled.serverFigure, {kind: 'settled', afterSeconds: 4})
    assert.equal(resolveRuntime({runtime: 'native', calibration: settled}).from, `measured by c1m probe (${REPORT}; the server figure settled during the hold)`)
    const server = {verdict: 'grows', bytesPerConnPerHour: 2048, startBytesPerConn: 1100, endBytesPerConn: 2100}
    const grown = calibrateFromReport({...report, hold: {held, soak: {figure: {from: 360, to: 7200, server}}}} as typeof report, REPORT)
    assert.equal(grown.serverBytesPerConn, 2100)
    assert.equal(resolveRuntime({runtime: 'native', calibration: grown}).from, `measured by c1m probe (${REPORT}; the server figure grown by the end of a 2.0 h soak (+2.00 KiB per connection per hour))`)
    // A soak with no growth above noise: the settled figure stands.
    const flat = calibrateFromReport({...report, hold: {held, soak: {figure: {from: 360, to: 7200, server: {...server, verdict: 'flat'}}}}} as typeof report, REPORT)
    assert.equal(flat.serverFigure.kind, 'settled')
    // A report file's figures are checked, not trusted: a grown figure that is not a number is not taken.
    const odd = calibrateFromReport({...report, hold: {soak: {figure: {from: 0, to: 60, server: {...server, endBytesPerConn: 'lots'}}}}} as unknown as typeof report, REPORT)
    assert.equal(odd.serverFigure.kind, 'ramp')
  })

  it('the engine presets need a report of their engine', () => {
    const c = calibrateFromReport(readProbeReport(REPORT), REPORT)
    assert.equal(resolveRuntime({runtime: 'native', calibration: c}).serverBytesPerConn, 1100)
    assert.throws(() => resolveRuntime({runtime: 'node', calibration: c}), /node engine/)
    assert.throws(() => resolveRuntime({runtime: 'native'}), /no probe report/)
  })
})

describe('saved probe reports', () => {
  it('finds the newest valid report, of the engine asked for', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-probes-'))
    try {
      // A real 20,000-connection run on this machine kind: fewer is a smoke test, not a calibration.
      const native = JSON.parse(readFileSync(path.join(path.dirname(REPORT), 'probe-20k.json'), 'utf8'))
      writeFileSync(path.join(dir, 'a-native.json'), JSON.stringify(native))
      writeFileSync(path.join(dir, 'b-node.json'), JSON.stringify({...native, engine: 'node'}))
      writeFileSync(path.join(dir, 'c-junk.json'), '[]')
      utimesSync(path.join(dir, 'a-native.json'), 1000, 1000)
      utimesSync(path.join(dir, 'b-node.json'), 2000, 2000)
      utimesSync(path.join(dir, 'c-junk.json'), 3000, 3000)
      const newest = findNewestProbeReport(dir)
      assert.equal(path.basename(newest.found!.file), 'b-node.json')
      assert.deepEqual(newest.skipped.map((s) => path.basename(s.file)), ['c-junk.json'])
      const native1 = findNewestProbeReport(dir, {engine: 'native'})
      assert.equal(path.basename(native1.found!.file), 'a-native.json')
      assert.deepEqual(native1.skipped.map((s) => [path.basename(s.file), s.why]), [['c-junk.json', 'it is not a c1m probe report: schema is undefined, expected "c1m.probe/1"'], ['b-node.json', 'it measured the node engine, and --runtime asks for native']])
      assert.equal(findNewestProbeReport(dir, {engine: 'external'}).found, undefined)
      assert.equal(findNewestProbeReport(path.join(dir, 'missing')).found, undefined)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('keeps them in $C1M_PROBE_DIR, else under XDG_STATE_HOME or ~/.local/state', () => {
    assert.equal(probeReportDir({C1M_PROBE_DIR: '/x'}), '/x')
    assert.equal(probeReportDir({XDG_STATE_HOME: '/s'}), '/s/c1m/probes')
    assert.equal(probeReportDir({HOME: os.homedir()}), path.join(os.homedir(), '.local/state/c1m/probes'))
  })
})
