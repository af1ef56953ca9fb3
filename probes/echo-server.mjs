// c1m echo server, node engine: the same command line and stdin/stdout protocol as
// echo-server.c (see there), on node's own event loop (libuv epoll underneath).
import {readFileSync} from 'node:fs'
import net from 'node:net'
import readline from 'node:readline'

function usage() {
  process.stderr.write('usage: echo-server.mjs --listen IP:PORT|[IPv6]:PORT [--backlog N]\n')
  process.exit(2)
}

let listenAt = '127.0.0.1:9000'
let backlog = 65535
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--listen' && i + 1 < args.length) listenAt = args[++i]
  else if (args[i] === '--backlog' && i + 1 < args.length) backlog = Number(args[++i])
  else usage()
}
const match = /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\]):(\d+)$/i.exec(listenAt)
const listenHost = match?.[1].replace(/^\[(.*)\]$/, '$1')
if (!match || Number(match[2]) > 65535 || !(backlog > 0)) usage()

const say = (record) => process.stdout.write(JSON.stringify(record) + '\n')
// Node raises its soft RLIMIT_NOFILE to the hard limit at start-up; report what it got.
const nofileLine = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
const nofile = Number(nofileLine?.split(/\s+/)[3]) || null
const sockets = new Set()
// peakOpen: the most connections open at once since the start (every accept checks it).
const counts = {open: 0, peakOpen: 0, accepted: 0, closed: 0, rejected: 0, bytes: 0}

const server = net.createServer({noDelay: true}, (socket) => {
  sockets.add(socket)
  counts.open++
  counts.peakOpen = Math.max(counts.peakOpen, counts.open)
  counts.accepted++
  socket.on('data', (chunk) => {
    counts.bytes += chunk.length
    // Stop reading while the peer is not taking the echo back.
    if (!socket.write(chunk)) {
      socket.pause()
      socket.once('drain', () => socket.resume())
    }
  })
  socket.on('error', () => {})
  socket.on('close', () => {
    sockets.delete(socket)
    counts.open--
    counts.closed++
  })
})
server.on('error', (error) => {
  say({event: 'error', message: `${error.syscall ?? 'listen'}: ${error.message}`})
  process.exit(1)
})
// On "::" both families (libuv sets IPV6_V6ONLY 0 unless asked for ipv6Only); other IPv6 addresses IPv6 only.
const v6only = net.isIPv6(listenHost) ? Number(listenHost !== '::') : -1
server.listen({host: listenHost, port: Number(match[2]), backlog, ipv6Only: v6only === 1}, () => {
  say({event: 'ready', pid: process.pid, port: server.address().port, nofile, v6only, batch: 0})
})

/** Reset every connection, then answer `event` (and exit on quit, stay detached on close). */
function closeAll(event, exit) {
  detached = true
  for (const socket of sockets) socket.resetAndDestroy()
  if (server.listening) server.close()
  // Sockets report 'close' on later turns of the loop: wait for them, at most two seconds.
  const deadline = Date.now() + 2000
  const finish = () => {
    if (sockets.size > 0 && Date.now() < deadline) return setTimeout(finish, 5)
    say({event, ...counts})
    if (exit) process.exit(0)
  }
  finish()
}
const quit = () => closeAll('count', true)

let detached = false
const lines = readline.createInterface({input: process.stdin})
lines.on('line', (line) => {
  const command = line.trim()
  if (command === 'count') say({event: 'count', ...counts})
  else if (command === 'quit') quit()
  else if (command === 'detach') {
    // Nothing to stop watching here (libuv holds the sockets): from now on, count and quit only.
    detached = true
    say({event: 'detach', ...counts})
  } else if (command === 'close') closeAll('close', false)
  else if (detached && command) say({event: 'error', message: 'detached: only count, close and quit'})
  else if (command) say({event: 'error', message: 'unknown command'})
})
lines.on('close', quit)
process.on('SIGTERM', quit)
