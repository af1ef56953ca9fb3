import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {describeGrowth, fitGrowth, MIN_SOAK_READINGS, perConnAt, type SoakReading, soakFigure, soakProgressLine, warmupSeconds} from '../src/core/probe/soak.js'

const KiB = 1024
const MiB = 1024 * KiB
const baseline = {serverRss: 40 * MiB, kernelBytes: 900 * MiB}

/** A ten-minute soak read every 5 s: server bytes per connection from perConn(t), kernel 4 KiB. */
function series(conns: number, perConn: (t: number, i: number) => number, held = (_t: number) => conns): SoakReading[] {
  const readings: SoakReading[] = []
  for (let i = 0; i <= 120; i++) {
    const t = i * 5
    const h = held(t)
    readings.push({t, held: h, serverRss: baseline.serverRss + perConn(t, i) * h, slabBytes: baseline.kernelBytes + 4 * KiB * h, tcpMemPages: 0})
  }
  return readings
}

/** Noise that is not random from run to run: a fixed pseudo-random walk around zero of +-amplitude. */
const jitter = (i: number, amplitude: number) => amplitude * Math.sin(i * 12.9898) * Math.cos(i * 78.233)

describe('soak: the fitted growth per connection per hour', () => {
  it('a server keeping 2 KiB per connection per minute grows 120 KiB per connection per hour, through noise', () => {
    const readings = series(10_000, (t, i) => 20 * KiB + (2 * KiB * t) / 60 + jitter(i, 1 * KiB))
    const figure = soakFigure(readings, baseline, 10_000)!
    assert.equal(figure.server.verdict, 'grows')
    assert.ok(Math.abs(figure.server.bytesPerConnPerHour - 120 * KiB) < 3 * KiB, `${figure.server.bytesPerConnPerHour}`)
    assert.ok(figure.server.r2 > 0.9 && figure.server.r2 < 1, `${figure.server.r2}`)
    assert.match(figure.verdict, /^grows 120 KiB per connection per hour while 10,000 messages\/s flow \(r2 0\.9\d\)$/)
    assert.equal(figure.kernel.verdict, 'flat')
    assert.equal(figure.kernel.bytesPerConnPerHour, 0)
  })

  it('a flat server with noise larger than a slow drift: no growth above noise', () => {
    const readings = series(1000, (_t, i) => 20 * KiB + jitter(i, 4 * KiB))
    const figure = soakFigure(readings, baseline, 0)!
    assert.equal(figure.server.verdict, 'flat')
    assert.match(figure.verdict, /^no growth above noise while the connections sit idle \(line [+-]/)
  })

  it('growth smaller than the noise floor (1 MiB over all the connections) is not growth', () => {
    // 100 connections, 5 KiB each over the ten minutes: 500 KiB in all, below 1 MiB.
    const readings = series(100, (t) => 20 * KiB + (5 * KiB * t) / 600)
    assert.equal(soakFigure(readings, baseline, 0)!.server.verdict, 'flat')
    // The same per connection over 1,000 connections is 5 MiB: growth.
    assert.equal(soakFigure(series(1000, (t) => 20 * KiB + (5 * KiB * t) / 600), baseline, 0)!.server.verdict, 'grows')
  })

  it('memory given back is a shrink', () => {
    const readings = series(1000, (t) => 60 * KiB - (30 * KiB * t) / 600)
    const figure = soakFigure(readings, baseline, 0)!
    assert.equal(figure.server.verdict, 'shrinks')
    assert.ok(figure.server.bytesPerConnPerHour < 0)
  })

  it('the warm-up (a fifth of the soak, at most 5 minutes) is left out of the fit', () => {
    // A jump during the first minute, flat after it: the fit sees only the flat part.
    const readings = series(1000, (t) => (t < 60 ? 5 * KiB + t * 200 : 20 * KiB))
    assert.equal(warmupSeconds(readings), 120)
    const figure = soakFigure(readings, baseline, 0)!
    assert.equal(figure.from, 120)
    assert.equal(figure.readings, 97)
    assert.equal(figure.server.verdict, 'flat')
    assert.equal(figure.server.endBytesPerConn, 20 * KiB)
    // A day-long soak's warm-up stops at 5 minutes.
    assert.equal(warmupSeconds([{...readings[0], t: 0}, {...readings[0], t: 86_400}]), 300)
  })

  it('connections dropped over time: memory is per connection still held', () => {
    // The server keeps 20 KiB for each connection it still holds; half of them drop over the soak.
    const readings = series(1000, () => 20 * KiB, (t) => 1000 - Math.floor(t * 500 / 600))
    const figure = soakFigure(readings, baseline, 0)!
    assert.equal(figure.heldFirst, 1000)
    assert.equal(figure.heldLast, 500)
    assert.equal(figure.server.verdict, 'flat')
    assert.equal(perConnAt(readings.at(-1)!, baseline).server, 20 * KiB)
    assert.match(figure.verdict, /^no growth above noise .*; 500 of 1,000 connections dropped during the soak, and memory they leave behind counts against those still held$/)
    // A server that keeps what dropped connections held: the same RSS over fewer reads as growth.
    const kept = series(1000, () => 20 * KiB, (t) => 1000 - Math.floor(t * 500 / 600)).map((r) => ({...r, serverRss: baseline.serverRss + 1000 * 20 * KiB}))
    const grew = soakFigure(kept, baseline, 0)!
    assert.equal(grew.server.verdict, 'grows')
    assert.match(grew.verdict, /^grows .*; 500 of 1,000 connections dropped during the soak/)
  })

  it('too few readings after the warm-up say so', () => {
    const points = Array.from({length: MIN_SOAK_READINGS - 1}, (_, i) => ({t: i, bytes: i * 1000}))
    const growth = fitGrowth(points, 100)
    assert.equal(growth.verdict, 'short')
    assert.match(describeGrowth(growth, 0), /too few readings/)
    assert.equal(soakFigure([], baseline, 0), undefined)
  })

  it('the progress line gives held, dropped, server and kernel KiB per connection', () => {
    const reading: SoakReading = {t: 3720, held: 990, serverRss: baseline.serverRss + 990 * 10 * KiB, slabBytes: baseline.kernelBytes + 990 * 3 * KiB, tcpMemPages: 990}
    assert.equal(soakProgressLine(reading, 1000, baseline), 'soak 1 h 2 min: 990 held, 10 dropped, server 10.00 KiB/conn, kernel 7.00 KiB/conn')
  })
})
