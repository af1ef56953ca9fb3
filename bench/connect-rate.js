#!/usr/bin/env node
// Connect rate as a source port range fills: explicit (address, port) binding, as the probe
// does, against letting the kernel search for a free port on each connect().
// Usage: node bench/connect-rate.js [conns=27000] [steps=9]   (needs a prior `npm run build`)
// One native echo server on 127.0.0.1; connections go out in steps, each step timed. With
// the kernel picking, every connection shares (127.0.0.1, server port), so its ports come
// from net.ipv4.ip_local_port_range (28232 here) and the search walks a fuller range each step.
// Loopback only; it changes no host setting and resets every connection at the end.
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {prepareEngine} = await import(path.join(root, 'dist/src/probe/engine.js'))
const {startPeer} = await import(path.join(root, 'dist/src/probe/peer.js'))

const conns = Number(process.argv[2] ?? 27_000)
const steps = Number(process.argv[3] ?? 9)
const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
console.log(`ip_local_port_range ${lo}-${hi} (${hi - lo + 1} ports); ${conns} connections in ${steps} steps`)

const programs = await prepareEngine('native')
// One process may hold only ~20000 sockets: two server processes share one port (SO_REUSEPORT),
// so that every connection has the same destination and, with the kernel picking, competes
// for the same source ports.
const first = await startPeer(programs.server, ['--listen', '127.0.0.1:0', '--reuseport'], 'server 1')
const servers = [first, await startPeer(programs.server, ['--listen', `127.0.0.1:${first.ready.port}`, '--reuseport'], 'server 2')]
try {
  for (const mode of ['explicit', 'kernel']) {
    const target = ['--target', `127.0.0.1:${servers[0].ready.port}`]
    const source = (n) => (mode === 'explicit' ? ['--source', `127.1.77.${n}:1024-65535`] : [])
    // Each client process holds up to 19000 connections; a second one continues the same tuple.
    const clients = [await startPeer(programs.client, [...target, ...source(1)], 'client 1'), await startPeer(programs.client, [...target, ...source(2)], 'client 2')]
    const rates = []
    let held = 0
    for (let step = 1; step <= steps; step++) {
      const want = Math.round((conns * step) / steps)
      const perClient = [Math.min(want, 19_000), Math.max(0, want - 19_000)]
      const started = process.hrtime.bigint()
      const replies = []
      for (const [i, client] of clients.entries()) replies.push(await client.ask(`open ${perClient[i]}`, 120_000))
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const established = replies.reduce((sum, r) => sum + Number(r.established), 0)
      rates.push(`${Math.round((established - held) / seconds)}/s`)
      held = established
      if (established < want) {
        rates.push(`(stopped at ${established}: ${replies.map((r) => r.error).filter(Boolean).join('; ')})`)
        break
      }
    }
    console.log(`${mode.padEnd(8)} connects per second by step: ${rates.join(' ')}`)
    await Promise.all(clients.map((client) => client.stop()))
  }
} finally {
  await Promise.all(servers.map((server) => server.stop()))
}
