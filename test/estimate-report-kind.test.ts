import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {reportKind, socketsSeenPerConn, unsuitableBecause} from '../src/core/estimate/report-kind.js'
import {saveProbeReport} from '../src/host/files/probe-reports.js'
import {validateProbeReport} from '../src/core/probe/fit-report.js'
import {FIXTURES, run} from './helpers.js'

// Saved reports of other kinds of run must never calibrate a plain estimate by themselves. The
// reports are real runs on this machine kind (test/fixtures/probe-20k.json: 20,000 loopback TCP
// connections; probe-small.json: 2,000), changed only where the kind of run differs.
const KERNEL = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
const DAY = 86_400_000

type Report = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

function load(name: string): Report {
  const r = JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'))
  r.host.kernel = KERNEL
  r.generatedAt = new Date(Date.now() - 2 * DAY).toISOString()
  return r
}

const plain = () => load('probe-20k.json')
/** The docs' `probe --protocol wss` run: WebSocket over TLS, with TLS's per-connection memory. */
const wss = (): Report => ({...plain(), protocol: 'ws', tls: {version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', alpn: '', verified: false, bundled: true}})
/** A 2,000-connection smoke test. */
const smoke = (): Report => ({...load('probe-small.json'), protocol: 'tcp'})
/** A --target run against someone's server. */
const target = (): Report => ({...plain(), engine: 'external', target: {endpoint: '127.0.0.1:8080', serverPid: 4242, serverProcesses: 1, clientEngine: 'native'}})
/** An HAProxy in the path: four TCP sockets per connection where the report says two. */
function proxied(): Report {
  const r = plain()
  r.samples = r.samples.map((s: Report) => ({...s, sockstat: {...s.sockstat, TCP: {...s.sockstat.TCP, inuse: 1 + 4 * s.conns}}}))
  return r
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'c1m-kind-'))
after(() => rmSync(tmp, {recursive: true, force: true}))

function stateDir(name: string, reports: Array<[string, Report]>): string {
  const dir = path.join(tmp, name)
  mkdirSync(dir, {mode: 0o700})
  // The first is the oldest; each next one a minute newer, so the plain run is never "the newest".
  for (const [i, [file, report]] of reports.entries()) {
    writeFileSync(path.join(dir, file), JSON.stringify(report))
    const t = (Date.now() - DAY + i * 60_000) / 1000
    utimesSync(path.join(dir, file), t, t)
  }
  return dir
}

describe('which saved report is of the kind an estimate asks', () => {
  const question = {protocol: 'tcp', kernel: KERNEL}
  it('takes a clean 20,000-connection TCP run of the bundled server, and no other kind', () => {
    assert.equal(unsuitableBecause(validateProbeReport(plain()), question), undefined)
    assert.match(unsuitableBecause(validateProbeReport(wss()), question)!, /measured wss, not tcp/)
    assert.match(unsuitableBecause(validateProbeReport(smoke()), question)!, /held 2000 connections, fewer than the 20000/)
    assert.match(unsuitableBecause(validateProbeReport(target()), question)!, /--target server/)
    assert.match(unsuitableBecause(validateProbeReport(proxied()), question)!, /opened 4\.0 TCP sockets per connection where it says 2/)
    assert.match(unsuitableBecause(validateProbeReport(plain()), {...question, engine: 'node'})!, /native engine, and --runtime asks for node/)
    assert.match(unsuitableBecause(validateProbeReport(plain()), {...question, kernel: '5.4.0-other'})!, /kernel 5\.4\.0-other|this host runs 5\.4\.0-other/)
    assert.match(unsuitableBecause(validateProbeReport({...plain(), concurrent: {pids: [77]}}), question)!, /another c1m probe ran at the same time \(PID 77\)/)
  })

  it('reads the sockets per connection from the samples, and the protocol and size from the report', () => {
    assert.ok(Math.abs(socketsSeenPerConn(validateProbeReport(plain()))! - 2) < 0.01)
    assert.deepEqual(reportKind(validateProbeReport(wss())), {protocol: 'wss', conns: 20_000, target: false})
  })

  it('saves a report under a name that carries its protocol', () => {
    const dir = path.join(tmp, 'saved')
    const file = saveProbeReport(validateProbeReport(wss()), dir)
    assert.match(path.basename(file), /^probe-native-wss-20000-\d{4}-\d\d-\d\dT\d{6}Z\.json$/)
    assert.match(path.basename(saveProbeReport(validateProbeReport(plain()), dir)), /^probe-native-tcp-20000-/)
  })
})

describe('estimate with saved reports of every kind', () => {
  it('calibrates from the plain 20k TCP run only, and names its protocol, size and age (text and JSON)', async () => {
    const dir = stateDir('mixed', [['plain.json', plain()], ['target.json', target()], ['smoke.json', smoke()], ['wss.json', wss()]])
    const json = await run(['estimate', '--conns', '1M', '--runtime', 'native', '--json'], {env: {C1M_PROBE_DIR: dir}})
    assert.equal(json.exitCode, 0, json.stderr)
    const envelope = JSON.parse(json.stdout)
    const used = envelope.result.calibrationReport
    assert.equal(used.file, path.join(dir, 'plain.json'))
    assert.equal(used.protocol, 'tcp')
    assert.equal(used.conns, 20_000)
    assert.equal(used.age, '2 days old')
    assert.deepEqual(envelope.result.skippedReports.map((s: {file: string}) => path.basename(s.file)), ['wss.json', 'smoke.json', 'target.json'])
    const text = await run(['estimate', '--conns', '1M', '--runtime', 'native'], {env: {C1M_PROBE_DIR: dir}})
    assert.equal(text.exitCode, 0, text.stderr)
    assert.match(text.stderr, /warning: calibrated by .*plain\.json \(tcp, 20000 connections, 2 days old;/)
    assert.match(text.stderr, /warning: skipped probe report .*wss\.json: it measured wss, not tcp/)
    assert.match(text.stdout, /from probe report: .*plain\.json \(native engine, tcp, 20,000 connections, 2 days old, kernel fit r2/)
  })

  it('with only unsuitable reports, uses the model and says why each was passed over', async () => {
    const dir = stateDir('unsuitable', [['target.json', target()], ['smoke.json', smoke()], ['wss.json', wss()], ['proxied.json', proxied()]])
    const json = await run(['estimate', '--conns', '1M', '--json'], {env: {C1M_PROBE_DIR: dir}})
    assert.equal(json.exitCode, 0, json.stderr)
    const envelope = JSON.parse(json.stdout)
    assert.equal(envelope.result.calibrationReport, null)
    assert.equal(envelope.result.kernel.source, 'slabinfo')
    const why = Object.fromEntries(envelope.result.skippedReports.map((s: {file: string; why: string}) => [path.basename(s.file), s.why]))
    assert.match(why['wss.json'], /measured wss, not tcp/)
    assert.match(why['smoke.json'], /fewer than the 20000/)
    assert.match(why['target.json'], /--target server/)
    assert.match(why['proxied.json'], /4\.0 TCP sockets per connection/)
    assert.ok(envelope.warnings.some((w: string) => /no saved probe report measured this kind of run, so the kernel figure is the model's/.test(w)), envelope.warnings.join('\n'))
    // Chosen by hand, the wss run is used, and the output says what it measured.
    const chosen = await run(['estimate', '--conns', '1M', '--calibration', path.join(dir, 'wss.json'), '--json'], {env: {C1M_PROBE_DIR: dir}})
    assert.equal(chosen.exitCode, 0, chosen.stderr)
    const c = JSON.parse(chosen.stdout)
    assert.equal(c.result.calibrationReport.protocol, 'wss')
    assert.ok(c.warnings.some((w: string) => w.includes('wss.json (wss, 20000 connections, 2 days old)')), c.warnings.join('\n'))
  })
})

describe('--calibration with a kernel fit that contradicts itself', () => {
  // bytesPerSocket plausible, bytesPerConn (what the estimate computes from) one byte.
  const inconsistent = (): Report => {
    const r = plain()
    r.fit.kernel.bytesPerConn = 1
    return r
  }
  it('is refused with the same exit code in text and JSON, naming both figures', async () => {
    const file = path.join(tmp, 'inconsistent.json')
    writeFileSync(file, JSON.stringify(inconsistent()))
    const json = await run(['estimate', '--conns', '1M', '--calibration', file, '--json'])
    const text = await run(['estimate', '--conns', '1M', '--calibration', file])
    assert.equal(json.exitCode, 2, json.stdout)
    assert.equal(text.exitCode, 2, text.stdout)
    const envelope = JSON.parse(json.stdout)
    assert.equal(envelope.error.code, 'E_BAD_REPORT')
    assert.match(envelope.error.message, /inconsistent: 1 B per connection over 2 sockets is 1 B per socket, and it says 4208/)
    assert.match(text.stderr, /inconsistent: 1 B per connection/)
  })

  it('a per-connection figure of 1e308 (a total past any number) exits the same in JSON as in text', async () => {
    // Before, text refused it (exit 3) and --json printed total: null with exit 0.
    const r = plain()
    r.fit.kernel.bytesPerConn = 1e308
    const file = path.join(tmp, 'huge.json')
    writeFileSync(file, JSON.stringify(r))
    const json = await run(['estimate', '--conns', '1M', '--calibration', file, '--json'])
    const text = await run(['estimate', '--conns', '1M', '--calibration', file])
    assert.equal(json.exitCode, 2, json.stdout)
    assert.equal(text.exitCode, 2, text.stderr)
    assert.doesNotMatch(json.stdout, /"total": null/)
  })
})
