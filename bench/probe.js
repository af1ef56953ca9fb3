#!/usr/bin/env node
// Figures of a real `c1m probe` run: wall time, connect rate, kernel bytes per socket,
// process bytes per connection, and whether every connection echoed.
// Usage: node bench/probe.js [conns=1M] [engine=native] [steps=10] [out=probe-bench.json]
//        [more c1m probe flags...]
// e.g.   node bench/probe.js 1M native 10 reports/probe-1m-native.json
//          --html reports/probe-1m-native.html --hold 10s
// It changes no host setting: a million loopback connections (two million sockets) fit
// under this host's fs.file-max of 2.4M; the probe refuses (exit 9) where they would not.
import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const [conns = '1M', engine = 'native', steps = '10', out = 'probe-bench.json', ...more] = process.argv.slice(2)
const args = ['probe', '--conns', conns, '--engine', engine, '--steps', steps, '--out', out, ...more, '--json']
const started = process.hrtime.bigint()
const stdout = execFileSync(process.execPath, [path.join(root, 'bin/run.js'), ...args], {stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000, maxBuffer: 64 * 1024 * 1024})
const seconds = Number(process.hrtime.bigint() - started) / 1e9
const {status, result: r} = JSON.parse(stdout.toString())
const kib = (bytes) => `${(bytes / 1024).toFixed(2)} KiB`
const top = r.samples.at(-1)
console.log(`c1m ${args.join(' ')}`)
console.log(`  isolation: ${r.isolation.netns ? `network namespace ${r.isolation.netns}` : `host loopback (${r.isolation.reason})`}, ${Object.entries(r.isolation.sysctls).map(([k, v]) => `${k} ${v}`).join(', ')}`)
console.log(`  status ${status}${r.stopped ? ` (stopped: ${r.stopped})` : ''}, wall ${seconds.toFixed(1)} s, ${r.plan.processesPerSide} processes per side`)
console.log(`  reached ${top.established} connections (${top.established * r.socketsPerConn} sockets); echo ${r.echo?.echoed ?? 0} of ${r.echo?.sent ?? 0}`)
const rampSeconds = r.steps.reduce((t, s) => t + s.seconds, 0)
const near = (n) => r.steps.reduce((best, step) => (Math.abs(step.conns - n) < Math.abs(best.conns - n) ? step : best))
console.log(`  ramp ${rampSeconds.toFixed(1)} s of connecting; connect rate: best step ${Math.max(...r.steps.map((s) => s.connectsPerSecond))}/s, whole ramp ${Math.round(top.established / rampSeconds)}/s, the step to ${near(100_000).conns} ${near(100_000).connectsPerSecond}/s, the step to ${top.conns} ${r.steps.at(-1).connectsPerSecond}/s; close ${r.closeSeconds} s`)
if (r.phases) console.log(`  phases: ${Object.entries(r.phases).map(([k, v]) => `${k.replace(/Seconds$/, '')} ${v.toFixed(1)} s`).join(', ')}`)
console.log(`  kernel  ${kib(r.fit.kernel.bytesPerConn)} per connection, ${kib(r.fit.kernel.bytesPerSocket)} per socket (r² ${r.fit.kernel.r2.toFixed(4)})`)
console.log(`  servers ${kib(r.fit.server.bytesPerConn)} per connection (r² ${r.fit.server.r2.toFixed(4)}); clients ${kib(r.fit.client.bytesPerConn)} (r² ${r.fit.client.r2.toFixed(4)})`)
console.log(`  slab per connection: ${Object.entries(r.fit.slabPerConn).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${v} B`).join(', ')}`)
if (r.socketCaches) console.log(`  the socket's own slab caches: ${kib(r.socketCaches.bytesPerConn)} per connection, ${kib(r.socketCaches.bytesPerSocket)} per socket`)
console.log(`  kernel memory at the top: +${((top.meminfo.Slab - r.samples[0].meminfo.Slab) / 1024 ** 3).toFixed(2)} GiB of slab`)
if (r.hold) {
  const h = r.hold
  console.log(`  hold ${h.seconds} s: servers ${h.serverOpen}, clients ${h.clientOpen} of ${h.conns}, ${h.dropped} dropped; echo after it ${h.echo?.echoed ?? 0} of ${h.echo?.sent ?? 0}`)
  if (h.traffic) console.log(`  traffic ${h.traffic.messageSize} B every ${h.traffic.intervalMs} ms: ${h.traffic.rounds} rounds; TCP buffers idle ${h.traffic.bytesPerConn.idle} B/conn, with traffic mean ${h.traffic.bytesPerConn.mean} B/conn, peak ${h.traffic.bytesPerConn.peak} B/conn`)
}
