// The soak: a hold longer than C1M_SOAK_AFTER reads the server's memory every C1M_SOAK_EVERY and
// fits its growth per connection per hour. A small Node TCP echo server that keeps 2 KiB for every
// 64 bytes it receives is told apart from the same server that lets them go, and the growth c1m
// fits is checked against what the leaking server counted it kept. SIGINT during a soak still
// writes the report, with the series read so far.
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, runJson} from './helpers.js'
import {scratch, startNodeServer} from './server-helpers.js'
import {exitWithin, spawnC1m} from './spawn-c1m.js'

const {dir, pids} = scratch('c1m-soak-')
// Soak after 10 s of hold, a reading a second: a 30 s hold is a soak of 25 readings after its warm-up.
const SOAK_ENV = {C1M_SOAK_AFTER: '10s', C1M_SOAK_EVERY: '1s'}
const CONNS = 200

/**
 * An echo server that allocates 2 KiB (filled, so its pages are touched) for each 64 bytes it
 * receives, and keeps them when `leak`; every second it writes what it kept to `stats`: bytes,
 * connections seen, and the first and last time a 64-byte message came.
 */
function echoServer(leak: boolean, stats: string): string {
  return `
const net = require('node:net'); const fs = require('node:fs')
const kept = []; let keptBytes = 0; let conns = 0; let first = 0; let last = 0
const server = net.createServer((s) => {
  conns++
  s.on('data', (chunk) => {
    s.write(chunk)
    if (chunk.length < 64) return
    const now = Date.now(); if (!first) first = now; last = now
    for (let i = 0; i < Math.floor(chunk.length / 64); i++) {
      const b = Buffer.alloc(2048, 1)
      if (${leak}) { kept.push(b); keptBytes += b.length }
    }
  })
  s.on('error', () => {})
})
setInterval(() => fs.writeFileSync(${JSON.stringify(stats)}, JSON.stringify({keptBytes, conns, first, last})), 1000).unref()
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port))
`
}

async function soak(leak: boolean): Promise<{report: ProbeRunReport; stats: {keptBytes: number; conns: number; first: number; last: number}}> {
  const stats = path.join(dir, `stats-${leak}.json`)
  const server = await startNodeServer(echoServer(leak, stats))
  pids.push(server.pid)
  const {envelope, exitCode} = await runJson<ProbeRunReport>(
    ['probe', '--target', `tcp://127.0.0.1:${server.port}`, '--server-pid', String(server.pid), '--conns', String(CONNS), '--steps', '2', '--settle', '200ms', '--hold', '30s', '--message-size', '64', '--interval', '200ms'],
    {timeout: 120_000, env: SOAK_ENV},
  )
  assertHeld(exitCode, JSON.stringify(envelope.error ?? envelope.warnings))
  // The server writes its count every second: wait for the one after the last message.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  return {report: envelope.result, stats: JSON.parse(readFileSync(stats, 'utf8'))}
}

describe('c1m probe soak: a leaking server and one that does not', {timeout: 300_000}, () => {
  it('the leaking server grows by about what it counted it kept per connection per hour', async (t) => {
    const {report, stats} = await soak(true)
    const soakResult = report.hold!.soak!
    assert.ok(soakResult.readings.length >= 20, `${soakResult.readings.length} readings`)
    assert.ok(soakResult.readings.every((r) => r.held === CONNS), 'a connection dropped')
    const figure = soakResult.figure!
    assert.equal(figure.server.verdict, 'grows', figure.verdict)
    assert.equal(stats.conns, CONNS)
    // The server's own count: bytes kept per connection per hour of traffic.
    const own = stats.keptBytes / CONNS / ((stats.last - stats.first) / 3_600_000)
    const ratio = figure.server.bytesPerConnPerHour / own
    t.diagnostic(`c1m: ${figure.verdict}; the server counted ${Math.round(own)} B per connection per hour`)
    assert.ok(ratio > 0.5 && ratio < 2, `c1m fitted ${figure.server.bytesPerConnPerHour} B per connection per hour, the server counted ${Math.round(own)}`)
    assert.match(figure.verdict, /^grows [\d.]+ MiB per connection per hour while 1,000 messages\/s flow \(r2 /)
  })

  it('the server that lets them go shows no growth above noise', async (t) => {
    const {report, stats} = await soak(false)
    assert.equal(stats.keptBytes, 0)
    assert.ok(stats.last - stats.first > 20_000, 'the traffic did not flow')
    const figure = report.hold!.soak!.figure!
    t.diagnostic(`c1m: ${figure.verdict}`)
    assert.equal(figure.server.verdict, 'flat', figure.verdict)
    assert.match(figure.verdict, /^no growth above noise while 1,000 messages\/s flow/)
  })
})

describe('c1m probe soak interrupted', {timeout: 120_000}, () => {
  it('SIGINT during the soak ends the hold, writes the report with the readings so far and exits 130', async () => {
    const out = path.join(dir, 'interrupted.json')
    const probe = await spawnC1m(['probe', '--conns', '500', '--steps', '2', '--settle', '200ms', '--hold', '10m', '--message-size', '64', '--interval', '200ms', '--out', out], {
      env: SOAK_ENV,
      waitFor: /soak \d+ s: 500 held, 0 dropped, server [\d.]+ KiB\/conn, kernel [\d.]+ KiB\/conn\n(.|\n)*soak \d+ s: /,
      timeoutMs: 60_000,
    })
    process.kill(probe.child.pid!, 'SIGINT')
    const code = await exitWithin(probe, 60_000)
    assert.equal(code, 130, probe.output.stderr)
    assert.ok(existsSync(out), 'no --out report')
    const report = JSON.parse(readFileSync(out, 'utf8')) as ProbeRunReport
    assert.equal(report.stopped, 'interrupted')
    assert.equal(report.hold!.interrupted, true)
    const readings = report.hold!.soak!.readings
    // A progress line every 12 readings: two lines mean at least 13 readings; the hold was cut short.
    assert.ok(readings.length >= 13, `${readings.length} readings`)
    assert.ok(report.hold!.seconds < 120, `${report.hold!.seconds} s`)
    assert.ok(readings.every((r) => r.held === 500 && r.serverRss > 0 && r.slabBytes > 0))
    assert.ok(report.hold!.soak!.figure, 'no figure from the readings so far')
  })
})

describe('c1m client soak', {timeout: 120_000}, () => {
  it('a client held until Ctrl-C with --server-pid reads the soak and gives its figure', async () => {
    const server = await startNodeServer(echoServer(false, path.join(dir, 'stats-client.json')))
    pids.push(server.pid)
    const client = await spawnC1m(['client', '--target', `127.0.0.1:${server.port}`, '--server-pid', String(server.pid), '--conns', '300', '--hold', 'forever', '--json'], {
      env: SOAK_ENV,
      waitFor: /soak \d+ s: 300 held, 0 dropped, server [\d.]+ KiB\/conn, kernel -?[\d.]+ KiB\/conn\n(.|\n)*soak \d+ s: /,
      timeoutMs: 60_000,
    })
    process.kill(client.child.pid!, 'SIGINT')
    // Ctrl-C is how a hold of forever ends: exit 0, the result written.
    assert.equal(await exitWithin(client, 30_000), 0, client.output.stderr)
    const result = (JSON.parse(client.output.stdout) as {result: {soak?: ProbeRunReport['hold'] extends infer H ? H extends {soak?: infer S} ? S : never : never}}).result
    const soak = result.soak!
    assert.ok(soak.readings.length >= 13, `${soak.readings.length} readings`)
    assert.ok(soak.readings.every((r) => r.held === 300 && r.serverRss > 0))
    // Idle connections on a server that keeps nothing per message: no growth (a collector may give back).
    assert.ok(['flat', 'shrinks'].includes(soak.figure!.server.verdict), soak.figure!.verdict)
    assert.match(soak.figure!.verdict, / while the connections sit idle/)
    // The last reading against the test's own reading of the server's RSS, now that the client is gone.
    const own = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) * 1024
    const last = soak.readings.at(-1)!.serverRss
    assert.ok(Math.abs(last - own) < 0.25 * own, `the soak last read ${last} B, /proc says ${own} B`)
  })
})
