#!/usr/bin/env node
// Fan-out from the bundled server: `c1m probe --protocol ws --broadcast-every` at each size, one
// broadcast of BYTES a second for HOLD, and per size: delivered of sent, the time until the first
// and the last connection had each broadcast, p50/p99/max, and the TCP buffer pages at the peak.
// Usage: node bench/fanout.mjs [conns=10k,100k] [hold=10s] [bytes=512] [more c1m probe flags...]
// Timings are from the server's send (stamped once before its loop of writes, CLOCK_MONOTONIC) to
// each client's read; both ends share this host's 2 cores, so the figures include the clients'
// own reading. It changes no host setting: the probe runs in a namespace of its own as root.
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const [sizes = '10k,100k', hold = '10s', bytes = '512', ...more] = process.argv.slice(2)
for (const conns of sizes.split(',')) {
  const args = ['probe', '--protocol', 'ws', '--conns', conns, '--steps', '2', '--hold', hold, '--broadcast-every', '1s', '--broadcast-size', bytes, ...more, '--json']
  const started = process.hrtime.bigint()
  // A run whose memory fit fails (exit 13, E_NOT_MEASURED, e.g. slab freed by others meanwhile)
  // still has its hold.
  const run = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args], {stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000, maxBuffer: 64 * 1024 * 1024})
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  console.log(`c1m ${args.join(' ')}`)
  const {status, result: r, error} = JSON.parse(run.stdout.toString() || '{}')
  if (!r?.plan) {
    console.log(`  exit ${run.status}: ${error?.message ?? 'no report'}`)
    continue
  }
  console.log(`  exit ${run.status}, status ${status}${r.stopped ? ` (stopped: ${r.stopped})` : ''}, wall ${seconds.toFixed(1)} s, ${r.plan.processesPerSide} process(es) per side`)
  const fanout = r.hold?.fanout
  if (!fanout) {
    console.log('  no fan-out report (the hold did not run)')
    continue
  }
  for (const b of fanout.broadcasts) {
    const mem = b.tcpMemPeakPages === undefined ? 'not read' : `${b.tcpMemPeakPages} pages`
    console.log(`  broadcast ${b.seq}: ${b.delivered} of ${b.expected} delivered; first ${b.firstMs} ms, last ${b.lastMs} ms; p50 ${b.p50Ms} ms, p99 ${b.p99Ms} ms, max ${b.maxMs} ms; TCP mem peak ${mem}`)
  }
  const all = fanout.broadcasts
  const delivered = all.reduce((n, b) => n + b.delivered, 0)
  const expected = all.reduce((n, b) => n + (b.expected ?? 0), 0)
  const sorted = (key) => all.map((b) => b[key]).sort((a, b) => a - b)
  const median = (key) => sorted(key)[Math.floor(all.length / 2)]
  console.log(`  ${all.length} broadcasts: ${delivered} of ${expected} delivered; median over broadcasts: last ${median('lastMs')} ms, p50 ${median('p50Ms')} ms, p99 ${median('p99Ms')} ms; worst last ${Math.max(...sorted('lastMs'))} ms`)
}
