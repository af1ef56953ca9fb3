#!/usr/bin/env node
// The floor under `c1m probe`: the CPU time the kernel itself needs to open, echo once and
// close N loopback connections, measured by bench/floor.c (no epoll, no reports), and the wall
// time that CPU time allows on this machine's cores if the work were perfectly parallel.
// Usage: node bench/floor.js [conns=1000000] [perWorker=9000] [--own-ehash]   (root: it needs a network namespace)
// It runs inside `unshare --net`, a namespace that ends with the program, so nothing is left
// behind. --own-ehash gives that namespace its own established-connections hash sized for the
// run: it sets the host's net.ipv4.tcp_child_ehash_entries while the namespace is made and puts
// the old value back as soon as it exists (before any connection opens). Compare the figures
// with a probe report's `phases`.
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2).filter((a) => a !== '--own-ehash')
const ownEhash = args.length < process.argv.length - 2
const conns = Number(args[0] ?? 1_000_000)
const perWorker = Number(args[1] ?? 9000)
const childEhash = '/proc/sys/net/ipv4/tcp_child_ehash_entries'
if (!Number.isInteger(conns) || conns < 1 || !Number.isInteger(perWorker) || perWorker < 1) {
  console.error('usage: node bench/floor.js [conns] [perWorker]  (positive integers)')
  process.exit(2)
}

const dir = mkdtempSync(path.join(tmpdir(), 'c1m-floor-'))
try {
  const binary = path.join(dir, 'floor')
  execFileSync('cc', ['-O2', '-Wall', '-o', binary, path.join(here, 'floor.c')], {stdio: 'inherit'})
  const run = JSON.parse(await runInNamespace(binary))
  const hash = ownEhash ? `own ehash of ${2 ** Math.ceil(Math.log2(2 * conns))} buckets` : `host ehash (${readFileSync('/proc/sys/net/ipv4/tcp_ehash_entries', 'utf8').trim()} buckets)`
  console.log(`${run.conns.toLocaleString('en-US')} loopback connections, ${run.workers} workers, ${run.cpus} CPUs, ${hash}`)
  console.log('phase   wall s   user s   sys s  softirq s   CPU us/conn   floor s (CPU / cores)  failed')
  for (const p of run.phases) {
    const cpu = p.userSeconds + p.systemSeconds + p.softirqSeconds
    const row = [p.phase.padEnd(6), p.wallSeconds.toFixed(2).padStart(7), p.userSeconds.toFixed(2).padStart(8),
      p.systemSeconds.toFixed(2).padStart(7), p.softirqSeconds.toFixed(2).padStart(10),
      ((cpu / run.conns) * 1e6).toFixed(2).padStart(13), (cpu / run.cpus).toFixed(2).padStart(22), String(p.failed).padStart(7)]
    console.log(row.join(' '))
  }
} finally {
  rmSync(dir, {recursive: true, force: true})
}

// Runs the binary in a new network namespace; its first line ("netns") says the namespace exists.
async function runInNamespace(binary) {
  const script = `ip link set lo up && echo netns && exec "$0" ${conns} ${perWorker}`
  const old = readFileSync(childEhash, 'utf8').trim()
  if (ownEhash) writeFileSync(childEhash, String(2 ** Math.ceil(Math.log2(2 * conns))))
  let restored = !ownEhash
  const restore = () => {
    if (!restored) writeFileSync(childEhash, old)
    restored = true
  }
  try {
    const child = spawn('unshare', ['--net', 'sh', '-c', script, binary], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.startsWith('netns\n')) restore()
    })
    const code = await new Promise((resolve) => child.on('close', resolve))
    if (code !== 0) throw new Error(`floor exited with ${code}`)
    return out.slice('netns\n'.length)
  } finally {
    restore()
  }
}
