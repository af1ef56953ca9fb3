#!/usr/bin/env node
// Issue 13's target: N connections from K simulated client hosts, optionally behind NAT, on
// this machine. Runs `c1m probe --client-hosts K [--nat] [--family 6]` RUNS times and prints the
// ramp, echo and close times, the kernel bytes per connection, and the measured conntrack bytes per
// connection beside doctor's formula (the nf_conntrack slab object) with the router's entries by
// family. `--family 6` runs it over IPv6 (each host its own /64; nat is then NAT66). Needs root.
// Fills the kernel's shared conntrack table with up to N entries while it runs (the namespaces and
// their entries go at the end); changes no setting.
//   node bench/client-hosts.js [N=200000] [K=8] [nat|plain] [RUNS=3] [--family 4|6]
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const argv = process.argv.slice(2)
const at = argv.indexOf('--family')
const family = at === -1 ? '4' : argv.splice(at, 2)[1]
if (family !== '4' && family !== '6') throw new Error(`--family must be 4 or 6, got ${family}`)
const [conns = '200000', hosts = '8', mode = 'nat', runs = '3'] = argv
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-bench-hosts-'))

function slabObjectBytes() {
  const line = readFileSync('/proc/slabinfo', 'utf8').split('\n').find((l) => l.startsWith('nf_conntrack '))
  if (!line) return undefined
  const [, , , objsize, perSlab, pagesPerSlab] = line.split(/\s+/).map(Number)
  return (pagesPerSlab * 4096) / perSlab || objsize
}

try {
  console.log(`${conns} connections, ${hosts} client hosts, IPv${family}, ${mode}${mode === 'nat' && family === '6' ? ' (NAT66)' : ''}; ${runs} runs`)
  for (let i = 1; i <= Number(runs); i++) {
    const file = path.join(dir, `run-${i}.json`)
    const args = [path.join(root, 'bin/run.js'), 'probe', '--conns', conns, '--steps', '5', '--client-hosts', hosts, '--family', family, ...(mode === 'nat' ? ['--nat'] : []), '--out', file]
    let exit = 0
    try {
      execFileSync(process.execPath, args, {stdio: ['ignore', 'ignore', 'inherit'], env: {...process.env, C1M_PROBE_DIR: 'off', NO_COLOR: '1'}, timeout: 600_000})
    } catch (error) {
      // 13: every connection held, but the kernel fit is not a measurement (a busy host); say so.
      if (error.status !== 13) throw error
      exit = 13
    }
    const report = JSON.parse(readFileSync(file, 'utf8'))
    if (exit) console.log(`run ${i}: not a measurement (exit 13): ${(report.fit.problems ?? []).join('; ')}`)
    const p = report.phases
    const entries = report.conntrack?.entries ? `, router's table ${report.conntrack.entries.ipv4} IPv4 + ${report.conntrack.entries.ipv6} IPv6 entries` : ''
    const conntrack = report.conntrack ? `${report.conntrack.bytesPerConn} B/conn (doctor's formula ${slabObjectBytes() ?? 320} B${entries})` : 'not tracked'
    console.log(`run ${i}: ramp ${p.rampSeconds} s, echo ${p.echoSeconds} s, close ${p.closeSeconds} s, total ${p.totalSeconds} s; echoed ${report.echo?.echoed}; kernel ${(report.fit.kernel.bytesPerConn / 1024).toFixed(2)} KiB/conn (${report.fit.slabPerConn?.TCPv6 ? 'TCPv6' : 'TCP'} ${((report.fit.slabPerConn?.TCPv6 ?? report.fit.slabPerConn?.TCP ?? 0) / 1024).toFixed(2)} KiB, socket caches ${((report.socketCaches?.bytesPerConn ?? 0) / 1024).toFixed(2)} KiB); conntrack ${conntrack}`)
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}
