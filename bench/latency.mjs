#!/usr/bin/env node
// Echo latency under traffic against the bundled server: `c1m probe` holding N connections with
// --message-size traffic, once in --interval rounds (every connection at once) and once at --rate
// (the same number of messages a second, spread over the connections), printing p50/p90/p99/p99.9/
// max and the messages lost of each, timed from when each message was due, and the spread of the
// p99 over the hold's windows (latency against time).
// Usage: node bench/latency.mjs [conns=10k] [engine=native] [hold=20s] [size=512] [interval=1s]
// e.g.   node bench/latency.mjs 10k native 20s 512 1s
// It changes no host setting (the probe's own namespace when root, else the host loopback).
import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const [conns = '10k', engine = 'native', hold = '20s', size = '512', interval = '1s'] = process.argv.slice(2)

/** The run's hold.traffic, from `c1m probe ... --json`. */
function probe(pace) {
  const args = ['probe', '--conns', conns, '--engine', engine, '--steps', '2', '--hold', hold, '--message-size', size, ...pace, '--json']
  const stdout = execFileSync(process.execPath, [path.join(root, 'bin/run.js'), ...args], {stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000, maxBuffer: 64 * 1024 * 1024})
  const {result} = JSON.parse(stdout.toString())
  return {args, traffic: result.hold?.traffic, conns: result.hold?.conns}
}

/** The messages a second of one round per interval over the connections held. */
function ratePerSecond(held, intervalText) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(intervalText)
  const ms = Number(match[1]) * {ms: 1, s: 1000, m: 60_000, undefined: 1000}[match[2]]
  return Math.round((held * 1000) / ms)
}

const rounds = probe(['--interval', interval])
const rate = ratePerSecond(rounds.conns, interval)
const spread = probe(['--rate', `${rate}/s`])
for (const [name, run] of [[`--interval ${interval} (rounds)`, rounds], [`--rate ${rate}/s (spread)`, spread]]) {
  const l = run.traffic?.latency
  console.log(`c1m ${run.args.join(' ')}`)
  if (!l) {
    console.log('  no traffic figures (the hold did not run)')
    continue
  }
  console.log(`  ${name}: ${l.count} messages echoed, ${l.lost} lost; p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, p99.9 ${l.p999} ms, max ${l.max} ms`)
  // Against time: the windows' p99 from the best to the worst (hold.traffic.latencySeries).
  const p99s = (run.traffic.latencySeries ?? []).filter((w) => w.messages > 0).map((w) => w.p99Ms)
  if (p99s.length > 0) console.log(`  ${p99s.length} windows: p99 from ${Math.min(...p99s)} ms to ${Math.max(...p99s)} ms`)
}
