#!/usr/bin/env node
// The floor under `c1m probe`: the CPU time the kernel itself needs to open, echo once and
// close N loopback connections, measured by bench/floor.c (no epoll unless --epoll, no reports), and the wall
// time that CPU time allows on this machine's cores if the work were perfectly parallel.
// Usage: node bench/floor.js [conns=1000000] [perWorker=9000] [--own-ehash] [--epoll]
// (root: it needs a network namespace)
// --epoll registers every socket in its worker's epoll set too: the floor of an event-driven program.
// bench/floor-vs-probe.js runs it and `c1m probe` back to back and prints the ratios.
// It runs inside `unshare --net`, a namespace that ends with the program, so nothing is left
// behind. --own-ehash gives that namespace its own established-connections hash sized for the
// run: it sets the host's net.ipv4.tcp_child_ehash_entries while the namespace is made and puts
// the old value back as soon as it exists (before any connection opens). Compare the figures
// with a probe report's `phases`.
import {readFileSync} from 'node:fs'

import {ownEhashBuckets, runFloor} from './floor-run.mjs'

const given = process.argv.slice(2)
const args = given.filter((a) => a !== '--own-ehash' && a !== '--epoll')
const ownEhash = given.includes('--own-ehash')
const epoll = given.includes('--epoll')
const conns = Number(args[0] ?? 1_000_000)
const perWorker = Number(args[1] ?? 9000)
if (!Number.isInteger(conns) || conns < 1 || !Number.isInteger(perWorker) || perWorker < 1) {
  console.error('usage: node bench/floor.js [conns] [perWorker] [--own-ehash] [--epoll]  (positive integers)')
  process.exit(2)
}

const run = await runFloor(conns, perWorker, ownEhash, epoll)
const hash = ownEhash ? `own ehash of ${ownEhashBuckets(conns)} buckets` : `host ehash (${readFileSync('/proc/sys/net/ipv4/tcp_ehash_entries', 'utf8').trim()} buckets)`
console.log(`${run.conns.toLocaleString('en-US')} loopback connections, ${run.workers} workers, ${run.cpus} CPUs, ${hash}${epoll ? ', every socket in an epoll set' : ''}`)
console.log('phase   wall s   user s   sys s  softirq s   CPU us/conn   floor s (CPU / cores)  failed')
for (const p of run.phases) {
  const cpu = p.userSeconds + p.systemSeconds + p.softirqSeconds
  const row = [p.phase.padEnd(6), p.wallSeconds.toFixed(2).padStart(7), p.userSeconds.toFixed(2).padStart(8),
    p.systemSeconds.toFixed(2).padStart(7), p.softirqSeconds.toFixed(2).padStart(10),
    ((cpu / run.conns) * 1e6).toFixed(2).padStart(13), (cpu / run.cpus).toFixed(2).padStart(22), String(p.failed).padStart(7)]
  console.log(row.join(' '))
}
