#!/usr/bin/env node
// `c1m probe --conns N` against the kernel's floor (bench/floor.c), in the same run on the same
// machine: each run measures the floor and the probe back to back (odd runs the floor first, even
// runs the probe first) and prints per phase (ramp, echo, close, settle, sample, and their sum)
// c1m's seconds, the floor's and the ratio, with the load average before each. Issue 26's targets:
// ramp, echo and close each at most 1.1x the floor, the sum at most 1.1x the floor's sum, the
// kernel bytes per connection unchanged within 2% (10.26 KiB at 1M).
// Usage: node bench/floor-vs-probe.js [--conns 1e6] [--runs 3] [--engine native] [--own-ehash]
//        [--epoll-floor]
// --epoll-floor also runs floor.c with every socket in an epoll set (what any event-driven server
// or client pays on top of the kernel alone) and prints c1m against that floor as well.
// Root (both run in network namespaces of their own, deleted afterwards). It changes no global
// limit: two sockets a connection fit under this host's fs.file-max, floor.c's workers under the hard
// nofile cap, and the probe refuses (exit 9) where its sockets would not fit. --own-ehash gives both
// namespaces an established hash of their own: it sets the host-wide net.ipv4.tcp_child_ehash_entries
// while each namespace is made and puts the old value back at once (the bench says so as it does).
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {ownEhashBuckets, runFloor} from './floor-run.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const usage = 'usage: node bench/floor-vs-probe.js [--conns N] [--runs R] [--engine native|node] [--own-ehash] [--epoll-floor]   (N from 1000 to 4e6, R from 1 to 20)'
let options
try {
  options = parseArgs({options: {conns: {type: 'string', default: '1e6'}, runs: {type: 'string', default: '3'}, engine: {type: 'string', default: 'native'}, 'own-ehash': {type: 'boolean', default: false}, 'epoll-floor': {type: 'boolean', default: false}}}).values
} catch (error) {
  console.error(`${error.message}\n${usage}`)
  process.exit(2)
}
const conns = Number(options.conns)
const runs = Number(options.runs)
if (!Number.isInteger(conns) || conns < 1000 || conns > 4e6 || !Number.isInteger(runs) || runs < 1 || runs > 20 || !['native', 'node'].includes(options.engine)) {
  console.error(usage)
  process.exit(2)
}
const ownEhash = options['own-ehash']
const epollFloor = options['epoll-floor']
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
const childEhash = () => readFileSync('/proc/sys/net/ipv4/tcp_child_ehash_entries', 'utf8').trim()

// settle and sample have no floor (floor.c neither waits nor reads memory): they count in c1m's sum.
const PHASES = ['ramp', 'echo', 'close', 'settle', 'sample']
console.log(`floor (bench/floor.c) against c1m probe --conns ${conns} --engine ${options.engine}, ${runs} run${runs > 1 ? 's' : ''}, ${ownEhash ? `own ehash of ${ownEhashBuckets(conns)} buckets (net.ipv4.tcp_child_ehash_entries set while each namespace is made, put back to ${childEhash()} at once)` : 'the host ehash'}`)
const rows = []
for (let run = 1; run <= runs; run++) {
  // Odd runs measure the floor first, even runs the probe first: a drift over the session (the
  // host warming up or filling up) then falls on both sides alike.
  const probeFirst = run % 2 === 0
  const measureProbe = async () => ({probeLoad: load(), probe: await runProbe()})
  const early = probeFirst ? await measureProbe() : undefined
  const floorLoad = load()
  const floor = await runFloor(conns, 9000, ownEhash)
  const failed = floor.phases.reduce((sum, p) => sum + p.failed, 0)
  if (failed > 0) throw new Error(`the floor failed ${failed} connections: no figure to compare with`)
  const epoll = epollFloor ? await runFloor(conns, 9000, ownEhash, true) : undefined
  if (epoll && epoll.phases.some((p) => p.failed > 0)) throw new Error('the epoll floor failed connections: no figure to compare with')
  const {probeLoad, probe} = early ?? (await measureProbe())
  const floorOf = Object.fromEntries(floor.phases.map((p) => [p.phase, p.wallSeconds]))
  const row = {run, probeFirst, floorLoad, probeLoad, floor: {...floorOf, settle: 0, sample: 0}, floorSteps: floor.rampSteps, probe: {}, report: probe}
  if (epoll) row.epoll = {...Object.fromEntries(epoll.phases.map((p) => [p.phase, p.wallSeconds])), settle: 0, sample: 0}
  for (const phase of PHASES) row.probe[phase] = probe.phases[`${phase}Seconds`]
  rows.push(row)
  printRun(row)
  if (ownEhash && childEhash() === String(ownEhashBuckets(conns))) throw new Error('net.ipv4.tcp_child_ehash_entries was not put back')
}
if (runs > 1) printSummary(rows)

/** `c1m probe --conns N --json`: its report, checked to have reached N and echoed every connection. */
async function runProbe() {
  const args = [path.join(root, 'bin/run.js'), 'probe', '--conns', String(conns), '--engine', options.engine, ...(ownEhash ? ['--own-ehash'] : []), '--json']
  const stdout = await new Promise((resolve, reject) => {
    execFile(process.execPath, args, {maxBuffer: 256 * 1024 * 1024, timeout: 30 * 60_000}, (error, out, err) => (error ? reject(new Error(`c1m probe failed: ${err.trim().split('\n').at(-1) ?? error.message}`)) : resolve(out)))
  })
  const {result} = JSON.parse(stdout)
  const top = result.samples.at(-1)
  if (result.stopped) throw new Error(`c1m probe stopped: ${result.stopped}`)
  if (top.established < conns || result.echo?.echoed !== conns) throw new Error(`c1m probe reached ${top.established} connections, ${result.echo?.echoed ?? 0} echoed, of ${conns}`)
  return result
}

function ratio(probe, floor) {
  return floor > 0 ? `${(probe / floor).toFixed(2)}x` : '-'
}

/** Connections a second in each fifth of the floor's ramp, from the seconds it reached each. */
function stepRates(seconds = []) {
  return seconds.map((t, i) => Math.round(conns / 5 / Math.max(t - (seconds[i - 1] ?? 0), 1e-3)))
}

function sum(times) {
  return PHASES.reduce((total, phase) => total + times[phase], 0)
}

function printRun(row) {
  const {report: r} = row
  console.log(`\nrun ${row.run} (${row.probeFirst ? 'the probe first' : 'the floor first'}): load average ${row.floorLoad} before the floor, ${row.probeLoad} before the probe`)
  console.log(`phase     c1m s  floor s  ratio${row.epoll ? '  epoll floor s  ratio' : ''}`)
  const line = (name, c1m, floor, epoll) => console.log(`${name.padEnd(7)} ${c1m.toFixed(2).padStart(7)} ${floor.toFixed(2).padStart(8)}  ${ratio(c1m, floor).padStart(5)}${epoll === undefined ? '' : `  ${epoll.toFixed(2).padStart(13)}  ${ratio(c1m, epoll).padStart(5)}`}`)
  for (const phase of PHASES) line(phase, row.probe[phase], row.floor[phase], row.epoll?.[phase])
  line('sum', sum(row.probe), sum(row.floor), row.epoll && sum(row.epoll))
  console.log(`c1m's whole run ${r.phases.totalSeconds.toFixed(2)} s: the sum above plus start ${r.phases.startSeconds.toFixed(2)} s (namespace, processes) and teardown ${r.phases.teardownSeconds.toFixed(2)} s (the processes' exits, the namespace)`)
  const floorRate = conns / row.floor.ramp
  console.log(`connect rate by step (floor ${Math.round(floorRate)}/s over its whole ramp): ${r.steps.map((s) => `${s.connectsPerSecond}/s (${(s.connectsPerSecond / floorRate).toFixed(2)})`).join(', ')}`)
  const floorSteps = stepRates(row.floorSteps)
  if (floorSteps.length === r.steps.length) {
    console.log(`the floor's own rate at each fifth of the ramp (sockstat every 50 ms): ${floorSteps.map((rate, i) => `${rate}/s (c1m ${(r.steps[i].connectsPerSecond / rate).toFixed(2)}x)`).join(', ')}`)
  }
  if (r.settle) console.log(`settle: ${r.settle.counters} of ${r.settle.counters + r.settle.bound + r.settle.sleep} waits ended on the counters, ${r.settle.bound} at the ${r.settle.boundMs} ms bound`)
  if (r.close?.left) console.log(`after the close the namespace held ${r.close.left.inuse} TCP sockets, ${r.close.left.tw} in TIME_WAIT`)
  const walker = r.procWalker?.visited ? `; a /proc walker had visited ${Math.round(r.procWalker.coverage * 100)}% of the sockets at the samples` : ''
  console.log(`kernel ${(r.fit.kernel.bytesPerConn / 1024).toFixed(2)} KiB per connection (r² ${r.fit.kernel.r2.toFixed(4)})${walker}`)
}

function printSummary(all) {
  console.log(`\nover ${all.length} runs: c1m's phase (min-max) against the floor's (min-max), ratio of the medians [median of the runs' own ratios]`)
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const range = (values) => `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`
  for (const phase of [...PHASES, 'sum']) {
    const pick = (side) => all.map((row) => (phase === 'sum' ? sum(row[side]) : row[side][phase]))
    // Each run's own ratio pairs the two sides measured minutes apart; their median resists a slow drift.
    const paired = (side) => {
      const probes = pick('probe')
      const ratios = pick(side).map((seconds, i) => (seconds > 0 ? probes[i] / seconds : NaN)).filter(Number.isFinite)
      return ratios.length > 0 ? ` [${median(ratios).toFixed(2)}x]` : ''
    }
    const epoll = all[0].epoll ? `  epoll floor ${range(pick('epoll')).padStart(12)} s  ${ratio(median(pick('probe')), median(pick('epoll')))}${paired('epoll')}` : ''
    console.log(`${phase.padEnd(7)} c1m ${range(pick('probe')).padStart(12)} s  floor ${range(pick('floor')).padStart(12)} s  ${ratio(median(pick('probe')), median(pick('floor')))}${paired('floor')}${epoll}`)
  }
  const kernel = all.map((row) => row.report.fit.kernel.bytesPerConn / 1024)
  console.log(`kernel ${range(kernel)} KiB per connection`)
}
