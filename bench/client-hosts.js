#!/usr/bin/env node
// Issue 13's target: N connections from K simulated client hosts, optionally behind NAT, on
// this machine. Runs `c1m probe --client-hosts K [--nat]` RUNS times and prints the ramp, echo
// and close times and the measured conntrack bytes per connection beside doctor's formula (the
// nf_conntrack slab object). Needs root. Fills the kernel's shared conntrack table with up to N
// entries while it runs (the namespaces and their entries go at the end); changes no setting.
//   node bench/client-hosts.js [N=200000] [K=8] [nat|plain] [RUNS=3]
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const [conns = '200000', hosts = '8', mode = 'nat', runs = '3'] = process.argv.slice(2)
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-bench-hosts-'))

function slabObjectBytes() {
  const line = readFileSync('/proc/slabinfo', 'utf8').split('\n').find((l) => l.startsWith('nf_conntrack '))
  if (!line) return undefined
  const [, , , objsize, perSlab, pagesPerSlab] = line.split(/\s+/).map(Number)
  return (pagesPerSlab * 4096) / perSlab || objsize
}

try {
  console.log(`${conns} connections, ${hosts} client hosts, ${mode}; ${runs} runs`)
  for (let i = 1; i <= Number(runs); i++) {
    const file = path.join(dir, `run-${i}.json`)
    const args = [path.join(root, 'bin/run.js'), 'probe', '--conns', conns, '--steps', '5', '--client-hosts', hosts, ...(mode === 'nat' ? ['--nat'] : []), '--out', file]
    execFileSync(process.execPath, args, {stdio: ['ignore', 'ignore', 'inherit'], env: {...process.env, C1M_PROBE_DIR: 'off', NO_COLOR: '1'}, timeout: 600_000})
    const report = JSON.parse(readFileSync(file, 'utf8'))
    const p = report.phases
    const conntrack = report.conntrack ? `${report.conntrack.bytesPerConn} B/conn (doctor's formula ${slabObjectBytes() ?? 320} B)` : 'not tracked'
    console.log(`run ${i}: ramp ${p.rampSeconds} s, echo ${p.echoSeconds} s, close ${p.closeSeconds} s, total ${p.totalSeconds} s; echoed ${report.echo?.echoed}; kernel ${(report.fit.kernel.bytesPerConn / 1024).toFixed(2)} KiB/conn; conntrack ${conntrack}`)
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}
