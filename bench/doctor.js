#!/usr/bin/env node
// Median wall time of `c1m doctor` (a fresh process each run, as a user or CI meets it).
// Usage: node bench/doctor.js [runs=21] [extra doctor args...]   Target: median under 500 ms.
import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.argv[2] ?? 21)
const extra = process.argv.slice(3)
const cases = [
  ['doctor', ...extra],
  ['doctor', '--json', ...extra],
  ['doctor', '--role', 'loopback', '--json', ...extra],
]
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

for (const args of cases) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint()
    execFileSync(process.execPath, [path.join(root, 'bin/run.js'), ...args], {stdio: 'ignore', timeout: 30_000})
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  const sorted = [...times].sort((a, b) => a - b)
  console.log(`c1m ${args.join(' ').padEnd(36)} runs ${runs}  median ${median(times).toFixed(0)} ms  min ${sorted[0].toFixed(0)} ms  max ${sorted.at(-1).toFixed(0)} ms  (target < 500 ms)`)
}
