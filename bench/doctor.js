#!/usr/bin/env node
// Median wall time of `c1m doctor` (a fresh process each run, as a user or CI meets it).
// Usage: node bench/doctor.js [runs=21] [extra doctor args...]   Target: median under 500 ms.
// Doctor exits 1 when a check FAILs (most hosts before tuning): that is a timed run like any other.
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.argv[2] ?? 21)
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`usage: node bench/doctor.js [runs=21] [extra doctor args...]; runs must be a whole number >= 1, got "${process.argv[2]}"`)
  process.exit(2)
}
const extra = process.argv.slice(3)
const cases = [
  ['doctor', ...extra],
  ['doctor', '--json', ...extra],
  ['doctor', '--role', 'loopback', '--json', ...extra],
]
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

for (const args of cases) {
  const times = []
  const exits = new Set()
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint()
    const run = spawnSync(process.execPath, [path.join(root, 'bin/run.js'), ...args], {stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000, encoding: 'utf8'})
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
    // 0: every check passed; 1: a check FAILed (doctor's --fail-on). Anything else is not a doctor run.
    if (run.error || (run.status !== 0 && run.status !== 1)) {
      const why = run.error ? run.error.message : `exit ${run.status ?? run.signal}: ${run.stderr.trim().split('\n')[0]}`
      console.error(`c1m ${args.join(' ')} did not run: ${why}`)
      process.exit(3)
    }
    exits.add(run.status)
  }
  const sorted = [...times].sort((a, b) => a - b)
  const exit = [...exits].sort().join('/')
  console.log(`c1m ${args.join(' ').padEnd(36)} runs ${runs}  median ${median(times).toFixed(0)} ms  min ${sorted[0].toFixed(0)} ms  max ${sorted.at(-1).toFixed(0)} ms  exit ${exit}  (target < 500 ms)`)
}
