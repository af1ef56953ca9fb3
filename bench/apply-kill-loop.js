#!/usr/bin/env node
// kill -9 in the middle of `c1m apply`, then `c1m revert`: is every byte back, and nothing left?
// Usage: node bench/apply-kill-loop.js [runs=50]   (needs `npm run build`; sandbox roots only, never --netns)
// Each run: a fresh sandbox tree (as test/sandbox-tree.ts makes it), `apply --profile million`,
// SIGKILL at a random moment 0-60 ms after apply printed its first step (the steps themselves
// take tens of ms), `revert`, then a byte-for-byte comparison with the tree as it was, which
// also catches temporary files and directories left behind.
import {spawn, spawnSync} from 'node:child_process'
import {readdirSync, lstatSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {makeSandbox, removeSandbox, treeSnapshot} = await import(path.join(root, 'dist/test/sandbox-tree.js'))
const BIN = path.join(root, 'bin/run.js')
const runs = Math.min(Number(process.argv[2] ?? 50), 1000)
const TEMP = /^\.[^/]+\.c1m-\d+\.tmp$/

/** c1m temporary names anywhere in the tree. */
function temps(dir) {
  const found = []
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name)
    if (TEMP.test(name)) found.push(path.relative(dir, full))
    else if (lstatSync(full).isDirectory()) found.push(...temps(full).map((t) => path.join(name, t)))
  }
  return found
}

function killedApply(sb) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'apply', '-p', 'million', '--root', sb, '--yes'], {stdio: ['ignore', 'ignore', 'pipe']})
    let armed = false
    let finished = false
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.stderr.on('data', (chunk) => {
      if (armed || !String(chunk).includes('apply: ')) return
      armed = true
      setTimeout(() => child.kill('SIGKILL'), Math.random() * 60)
    })
    child.once('exit', (code, signal) => {
      finished = signal === null
      clearTimeout(guard)
      resolve({finished, code})
    })
  })
}

const counts = {runs: 0, clean: 0, mismatches: 0, killedMidApply: 0, finishedFirst: 0, leftTemps: 0, revertExit: {}}
const started = Date.now()
for (let i = 0; i < runs && Date.now() - started < 15 * 60_000; i++) {
  const sb = makeSandbox()
  try {
    const before = treeSnapshot(sb)
    const {finished} = await killedApply(sb)
    if (finished) counts.finishedFirst++
    else counts.killedMidApply++
    if (temps(sb).length > 0) counts.leftTemps++
    const revert = spawnSync(process.execPath, [BIN, 'revert', '--root', sb], {encoding: 'utf8', timeout: 60_000})
    counts.revertExit[revert.status] = (counts.revertExit[revert.status] ?? 0) + 1
    const after = treeSnapshot(sb)
    const same = JSON.stringify(after) === JSON.stringify(before) && temps(sb).length === 0
    counts.runs++
    if (same) counts.clean++
    else {
      counts.mismatches++
      const keys = new Set([...Object.keys(before), ...Object.keys(after)])
      console.log(`run ${i}: differs at ${[...keys].filter((k) => before[k] !== after[k]).join(', ')}; revert: ${revert.stderr.trim()}`)
    }
  } finally {
    removeSandbox(sb)
  }
}
console.log(
  `runs ${counts.runs}  clean ${counts.clean}  mismatches ${counts.mismatches}  (killed mid-apply ${counts.killedMidApply}, finished before the kill ${counts.finishedFirst}; ` +
    `runs that left c1m temp files before revert ${counts.leftTemps}; revert exits ${JSON.stringify(counts.revertExit)})`,
)
process.exitCode = counts.mismatches === 0 ? 0 : 1
