#!/usr/bin/env node
// A soak of a real server with traffic: Debian's mosquitto on 127.0.0.1, 10,000 MQTT connections,
// each publishing 512 bytes to its own topic every second (mosquitto sends each back), held for 30
// minutes while c1m reads the broker's RSS, the slab and sockstat every 5 s; prints the fitted
// growth per connection per hour and the verdict.
//   node bench/soak.mjs [--minutes N] [--conns N] [--interval-ms N]   (default 30 minutes, 10,000
//   connections, a message each every 1000 ms)
// On 2 shared cores mosquitto fell behind 10,000 messages/s after a few minutes (its receive queues
// grew to 435 MB, then it closed the connections whose packets it had not read for 1.5 keepalives):
// --conns 3000 keeps it within what it reads.
// The broker runs from a temp directory and is stopped by PID at the end; nothing global changes.
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {freePort, waitForPort} from './ports.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function option(name, fallback, max) {
  const i = process.argv.indexOf(name)
  if (i < 0) return fallback
  const value = Number(process.argv[i + 1])
  if (!Number.isInteger(value) || value < 1 || value > max) {
    console.error(`${name} must be a whole number from 1 to ${max}, got "${process.argv[i + 1] ?? ''}"`)
    process.exit(2)
  }
  return value
}

const minutes = option('--minutes', 30, 24 * 60)
const conns = option('--conns', 10_000, 18_000)
const interval = option('--interval-ms', 1000, 3_600_000)
const tmp = mkdtempSync(path.join(os.tmpdir(), 'c1m-soak-'))
const out = path.join(tmp, 'soak.json')
let broker
try {
  const port = await freePort()
  const conf = path.join(tmp, 'mosquitto.conf')
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\npersistence false\nuser root\nlog_dest none\n`)
  broker = spawn('mosquitto', ['-c', conf], {stdio: 'ignore'})
  await waitForPort(port)
  const args = ['probe', '--target', `mqtt://127.0.0.1:${port}`, '--server-pid', String(broker.pid), '--conns', String(conns), '--steps', '4', '--settle', '1s',
    '--hold', `${minutes}m`, '--message-size', '512', '--interval', `${interval}ms`, '--out', out]
  console.log(`c1m ${args.join(' ')}`)
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], {stdio: ['ignore', 'inherit', 'inherit'], env: {...process.env, C1M_PROBE_DIR: 'off'}})
  } catch (error) {
    // A run that ended with a finding (exit 10, 13) still wrote its report: print what it measured.
    if (error.status === null || error.status === undefined) throw error
    console.log(`c1m exited ${error.status}`)
  }
  const report = JSON.parse(readFileSync(out, 'utf8'))
  const soak = report.hold?.soak
  if (!soak?.figure) {
    console.log(`no soak figure: ${soak ? `${soak.readings.length} readings` : 'the hold did not run'}`)
    process.exitCode = 1
  } else {
    const f = soak.figure
    const kib = (b) => (b / 1024).toFixed(2)
    console.log(`\nsoak of ${(report.hold.seconds / 60).toFixed(1)} min${report.hold.interrupted ? ' (interrupted)' : ''}, ${conns} connections, ${f.messagesPerSecond} messages/s of 512 B, ${f.readings} readings fitted from ${f.from} s to ${f.to} s`)
    console.log(`server growth: ${f.server.bytesPerConnPerHour} B per connection per hour (r2 ${f.server.r2}, noise ${f.server.noiseBytesPerConn} B, threshold ${f.server.thresholdBytesPerConn} B); ${kib(f.server.startBytesPerConn)} -> ${kib(f.server.endBytesPerConn)} KiB per connection`)
    console.log(`kernel growth: ${f.kernel.bytesPerConnPerHour} B per connection per hour (r2 ${f.kernel.r2}); ${kib(f.kernel.startBytesPerConn)} -> ${kib(f.kernel.endBytesPerConn)} KiB per connection`)
    console.log(`held: ${f.heldFirst} at the start, ${f.heldLast} at the end`)
    console.log(`verdict: ${f.verdict}`)
  }
} finally {
  if (broker?.pid) {
    try {
      process.kill(broker.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  rmSync(tmp, {recursive: true, force: true})
}
