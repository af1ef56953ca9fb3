import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {buildProbeReport} from '../src/core/probe/build-fit-report.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {type SoakReading, soakFigure} from '../src/core/probe/soak.js'
import {renderProbeHtml} from '../src/reports/probe-html.js'
import {renderProbeReport} from '../src/reports/probe-text.js'

const KiB = 1024
const MiB = 1024 * KiB

/** 20 minutes of 1,000 connections: the server keeps 1 KiB more per connection a minute; 10 drop at 10 min */
function soakReport(): ProbeRunReport {
  const samples = [0, 500, 1000].map((conns) => ({conns, established: conns, meminfo: {Slab: 100 * MiB + conns * 8 * KiB}, server: {rss: 2 * MiB + conns * 10 * KiB}, client: {rss: 3 * MiB}}))
  const readings: SoakReading[] = []
  for (let t = 0; t <= 1200; t += 5) {
    const held = t < 600 ? 1000 : 990
    readings.push({t, held, serverRss: 2 * MiB + held * (10 * KiB + (t / 60) * KiB), slabBytes: 100 * MiB + held * 8 * KiB, tcpMemPages: 0})
  }
  const baseline = {serverRss: 2 * MiB, kernelBytes: 100 * MiB}
  const figure = soakFigure(readings, baseline, 1000)!
  return {
    ...buildProbeReport({engine: 'native', socketsPerConn: 2, host: {kernel: '6.18.0', memTotalBytes: 24 * 1024 ** 3, cpus: 2}, samples}),
    requestedConns: 1000,
    isolation: {netns: null, reason: '--no-netns', sysctls: {}},
    plan: {processesPerSide: 1, connsPerProcess: 1000, hardNofile: 20_000, steps: 2},
    steps: [],
    hold: {
      seconds: 1200, conns: 1000, serverOpen: 990, clientOpen: 990, serverCounted: true, dropped: 10,
      traffic: {messageSize: 64, intervalMs: 1000, rounds: 1200, bytesSent: 1, bytesReceived: 1, writeFailed: 0, sockstatMemPages: {idle: 0, peak: 0, mean: 0, readings: 1}, bytesPerConn: {idle: 0, peak: 0, mean: 0}},
      soak: {everyMs: 5000, readings, figure},
    },
  }
}

describe('a soak in the text and HTML reports', () => {
  it('the text gives the verdict, the levels and the connections held', () => {
    const text = renderProbeReport(soakReport())
    assert.match(text, /^soak \(16 min after a 4 min warm-up, 193 readings every 5 s\): server grows 60\.0 KiB per connection per hour while 1,000 messages\/s flow \(r2 1\.00\); 10 of 1,000 connections dropped during the soak, and memory they leave behind counts against those still held; 14\.0 KiB -> 30\.0 KiB per connection$/m)
    assert.match(text, /^soak, kernel \(slab \+ TCP buffers, whole host\): no growth above noise while 1,000 messages\/s flow/m)
    assert.match(text, /^soak, connections: 1,000 held at the start, 990 at the end$/m)
  })

  it('the HTML draws memory per connection and drops against time, with the fitted line', () => {
    const html = renderProbeHtml(soakReport())
    const memory = /<svg class="panel" data-panel="soak-memory"[\s\S]*?<\/svg>/.exec(html)?.[0]
    assert.ok(memory, 'no soak-memory panel')
    assert.match(memory, /minutes into the hold/)
    assert.match(memory, /data-series="servers, fit: \+60\.0 KiB\/conn\/h \(r² 1\.00, grows\)"/)
    // The measured server line climbs: each point higher on the page (smaller y) than the one before.
    const points = /class="measured" data-series="servers RSS per connection" fill="none" stroke="[^"]+" stroke-width="2" points="([^"]+)"/.exec(memory)![1].split(' ').map((p) => p.split(',').map(Number))
    assert.equal(points.length, 241)
    assert.ok(points.every(([, y], i) => i === 0 || y < points[i - 1][1]), 'the server line does not climb')
    const dropped = /<svg class="panel" data-panel="soak-dropped"[\s\S]*?<\/svg>/.exec(html)?.[0]
    assert.ok(dropped, 'no soak-dropped panel')
    const drops = /data-series="connections dropped since the hold began" fill="none" stroke="[^"]+" stroke-width="2" points="([^"]+)"/.exec(dropped)![1].split(' ').map((p) => Number(p.split(',')[1]))
    // Flat at 0 for the first 10 minutes, then one step up to 10.
    assert.equal(new Set(drops.slice(0, 120)).size, 1)
    assert.equal(new Set(drops.slice(120)).size, 1)
    assert.ok(drops[120] < drops[0])
  })
})
