#!/usr/bin/env node
// How close is `c1m estimate` to a real run? Calibrate with a small probe, estimate a large N,
// then run the large probe on this machine and compare the kernel and process parts.
//
//   npm run build && node bench/estimate-accuracy.js [--cal-conns 50000] [--conns 1000000]
//       [--engine native] [--settle 6s] [--attempts 4] [--cal FILE] [--measured FILE] [--keep DIR]
//
// --cal / --measured reuse probe reports already written instead of running the probes.
// Before each probe the script waits (up to 3 minutes) until the slab total stops moving, so
// the memory a previous run freed is not still being returned while the next one measures; and
// both probes wait --settle after each step, so whatever else walks /proc/PID/fd on the host
// (a process scanner creates a proc inode and a dentry per open file) has done so before the
// sample in the small run as in the large one.
// The probes run on loopback through `c1m probe`, which shards by the open-file limit and
// closes every connection at the end; this script changes no setting itself.
// It also estimates N with no probe report at all (the kernel model from this host's slabinfo)
// and compares that too. Every c1m it runs has C1M_PROBE_DIR=off: its probes keep no copy in
// ~/.local/state/c1m/probes, and the uncalibrated estimate finds none there.
// Targets: calibrated within 3% (issue 9; 5% for the process part, issue 5), uncalibrated within 10%.

import {spawnSync} from 'node:child_process'
import process from 'node:process'
import {mkdtempSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const cli = path.join(repo, 'bin/run.js')
const PAGE = 4096

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}

const calConns = Number(option('cal-conns', '50000'))
const conns = Number(option('conns', '1000000'))
const engine = option('engine', 'native')
const settle = option('settle', '6s')
const dir = option('keep', mkdtempSync(path.join(os.tmpdir(), 'c1m-accuracy-')))

function c1m(args, what) {
  process.stderr.write(`$ c1m ${args.join(' ')}\n`)
  const started = Date.now()
  const run = spawnSync('node', [cli, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 * 1024 * 1024, env: {...process.env, C1M_PROBE_DIR: 'off'}})
  if (run.status !== 0) {
    process.stderr.write(run.stdout)
    throw new Error(`${what} failed with exit ${run.status}`)
  }
  process.stderr.write(`  ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  return run.stdout
}

function slabBytes() {
  const line = readFileSync('/proc/meminfo', 'utf8').split('\n').find((l) => l.startsWith('Slab:'))
  return Number(line.split(/\s+/)[1]) * 1024
}

/** Wait until Slab moves less than 8 MiB over 10 s, at most 3 minutes; say how long it took. */
function waitForQuietSlab() {
  const started = Date.now()
  const history = [slabBytes()]
  while (Date.now() - started < 180_000) {
    spawnSync('sleep', ['2'])
    history.push(slabBytes())
    const recent = history.slice(-6)
    if (recent.length === 6 && Math.max(...recent) - Math.min(...recent) < 8 * 1024 ** 2) {
      process.stderr.write(`  slab quiet after ${((Date.now() - started) / 1000).toFixed(0)} s\n`)
      return
    }
  }
  process.stderr.write('  slab still moving after 180 s; measuring anyway\n')
}

/**
 * TCP sockets outside the probe's own: sockstat's `alloc` counts every TCP socket on the host,
 * `inuse` those of the probe's namespace. Their change over the run, as a share of the probe's
 * sockets, says whether another program opened or closed sockets while this one measured.
 */
function interference(report) {
  const others = (s) => (s.sockstat?.TCP?.alloc ?? 0) - (s.sockstat?.TCP?.inuse ?? 0)
  const base = others(report.samples[0])
  const worst = Math.max(...report.samples.map((s) => Math.abs(others(s) - base)))
  return worst / Math.max(1, report.samples.at(-1).sockstat?.TCP?.inuse ?? 1)
}

let repeats = 0
const ATTEMPTS = Number(option('attempts', '4'))

/** Run a probe; repeat it (--attempts, default 4, in all) while other work on the host disturbed it. */
function probe(n, file) {
  const steps = n >= 500_000 ? 10 : 5
  for (let attempt = 1; ; attempt++) {
    waitForQuietSlab()
    c1m(['probe', '--conns', String(n), '--engine', engine, '--steps', String(steps), '--settle', settle, '--out', file], `probe of ${n} connections`)
    const report = JSON.parse(readFileSync(file, 'utf8'))
    const other = interference(report)
    const r2 = report.fit.kernel.r2
    process.stderr.write(`  other sockets moved by ${(other * 100).toFixed(1)}% of the probe's; kernel fit r2 ${r2.toFixed(4)}\n`)
    if (other <= 0.02 && r2 >= 0.98) return file
    if (attempt === ATTEMPTS) {
      // c1m estimate refuses a calibration whose fit is not a measurement: say so rather than
      // compare nonsense
      console.log(`the probe of ${n} connections was disturbed by other work ${ATTEMPTS} times in a row (last: other sockets moved by ${(other * 100).toFixed(1)}%, kernel fit r2 ${r2.toFixed(4)}); no figure from this run`)
      process.exit(3)
    }
    process.stderr.write('  disturbed by other work on the host: running it again\n')
    repeats++
  }
}

/** The probe's own definition of kernel memory: all slab plus TCP buffer pages. */
const kernelBytes = (s) => (s.meminfo.Slab ?? 0) + (s.sockstat?.TCP?.mem ?? 0) * PAGE
const processBytes = (s) => s.server.rss + s.client.rss

/**
 * What the large run measured, per connection: the kernel's growth from the first to the last
 * sample, and the processes' whole RSS at the last sample (the probe starts one process per
 * slice of connections, so their base grows with N as the connections do).
 */
function measured(report) {
  const first = report.samples[0]
  const last = report.samples.at(-1)
  return {
    conns: last.conns,
    kernelPerConn: (kernelBytes(last) - kernelBytes(first)) / (last.conns - first.conns),
    processPerConn: processBytes(last) / last.conns,
    kernelFit: report.fit.kernel,
    processFit: report.fit.server.bytesPerConn + report.fit.client.bytesPerConn,
  }
}

const calFile = option('cal') ?? probe(calConns, path.join(dir, `probe-${calConns}.json`))
const calMeasured = Math.max(...JSON.parse(readFileSync(calFile, 'utf8')).samples.map((s) => s.conns))
const estimate = JSON.parse(c1m(['estimate', '--conns', String(conns), '--role', 'loopback', '--runtime', engine, '--calibration', calFile, '--json'], 'estimate')).result
const KERNEL = new Set(['kernel sockets', 'bind entries', 'conntrack', 'socket buffers'])
const kernelOf = (e) => e.memory.terms.filter((t) => KERNEL.has(t.name)).reduce((a, t) => a + t.perConn, 0)
const est = {kernelPerConn: kernelOf(estimate), processPerConn: estimate.memory.terms.find((t) => t.name === 'process').perConn}
// No probe report: the kernel model from this host's slabinfo, with its low-high range.
const bare = JSON.parse(c1m(['estimate', '--conns', String(conns), '--role', 'loopback', '--json'], 'uncalibrated estimate')).result
const bind = bare.memory.terms.find((t) => t.name === 'bind entries').perConn
const model = {kernelPerConn: kernelOf(bare), low: bare.kernel.model.low * 2 + bind, high: bare.kernel.model.high * 2 + bind}

const measuredFile = option('measured') ?? probe(conns, path.join(dir, `probe-${conns}.json`))
const big = JSON.parse(readFileSync(measuredFile, 'utf8'))
const m = measured(big)
const disturbed = {cal: interference(JSON.parse(readFileSync(calFile, 'utf8'))), big: interference(big)}

const pct = (a, b) => `${(((a - b) / b) * 100).toFixed(2)}%`
const gib = (b) => `${(b / 1024 ** 3).toFixed(2)} GiB`
const rows = [
  ['part', `estimate (calibrated at ${calMeasured.toLocaleString('en-US')})`, `measured at ${m.conns.toLocaleString('en-US')}`, 'error'],
  ['kernel per connection', `${est.kernelPerConn.toFixed(0)} B`, `${m.kernelPerConn.toFixed(0)} B (fit ${m.kernelFit.bytesPerConn.toFixed(0)} B, r2 ${m.kernelFit.r2.toFixed(4)})`, pct(est.kernelPerConn, m.kernelPerConn)],
  ['kernel, uncalibrated', `${model.kernelPerConn.toFixed(0)} B (range ${model.low}-${model.high} B)`, `${m.kernelPerConn.toFixed(0)} B`, pct(model.kernelPerConn, m.kernelPerConn)],
  ['process per connection', `${est.processPerConn.toFixed(0)} B`, `${m.processPerConn.toFixed(0)} B (RSS of all processes / N; fit growth ${m.processFit.toFixed(0)} B)`, pct(est.processPerConn, m.processPerConn)],
  ['kernel at N', gib(est.kernelPerConn * m.conns), gib(m.kernelPerConn * m.conns), pct(est.kernelPerConn, m.kernelPerConn)],
  ['process at N', gib(est.processPerConn * m.conns), gib(m.processPerConn * m.conns), pct(est.processPerConn, m.processPerConn)],
]
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
console.log(`engine ${engine}, loopback, --settle ${settle}; calibration ${calFile} (kernel fit r2 ${estimate.kernel.detail.match(/r2 ([\d.]+)/)?.[1]}); measured ${measuredFile}`)
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '))
console.log(`other sockets on the host moved by ${(disturbed.cal * 100).toFixed(1)}% (calibration) and ${(disturbed.big * 100).toFixed(1)}% (measured run) of the probe's own`)
console.log(`probes repeated because other work disturbed them: ${repeats}`)
const kernelError = Math.abs(est.kernelPerConn / m.kernelPerConn - 1)
const processError = Math.abs(est.processPerConn / m.processPerConn - 1)
const modelError = Math.abs(model.kernelPerConn / m.kernelPerConn - 1)
console.log(`calibrated kernel ${(kernelError * 100).toFixed(2)}% (target 3%): ${kernelError <= 0.03 ? 'met' : 'missed'}; process ${(processError * 100).toFixed(2)}% (target 5%): ${processError <= 0.05 ? 'met' : 'missed'}`)
console.log(`uncalibrated kernel ${(modelError * 100).toFixed(2)}% (target 10%): ${modelError <= 0.1 ? 'met' : 'missed'}`)
