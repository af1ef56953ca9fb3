// c1m load client, node engine: the same command line and stdin/stdout protocol as
// echo-client.c (see there). Connections are opened with net.connect, at most
// --inflight at a time, each bound to the next explicit (address, port) of --source.
// As there, a connection the server closes or talks on unasked is refused (its first bytes
// kept), an echo counts only when it matches byte for byte, and attempts are bounded by 2N + 1000.
import {readFileSync} from 'node:fs'
import net from 'node:net'
import readline from 'node:readline'

const ECHO = Buffer.from('c1m echo check!\n')

function usage() {
  process.stderr.write('usage: echo-client.mjs --target IP:PORT [--target ...] [--source IP:LO-HI ...] [--inflight K] [--open-timeout S]\n')
  process.exit(2)
}

const targets = []
const sources = []
let inflightMax = 256
let openTimeout = 300
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  const value = args[i + 1]
  if (args[i] === '--target' && value) {
    const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(value)
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) usage()
    targets.push({host: m[1], port: Number(m[2])})
  } else if (args[i] === '--source' && value) {
    const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)-(\d+)$/.exec(value)
    if (!m || Number(m[2]) < 1 || Number(m[3]) > 65535 || Number(m[2]) > Number(m[3])) usage()
    sources.push({ip: m[1], lo: Number(m[2]), hi: Number(m[3])})
  } else if (args[i] === '--inflight' && value) {
    inflightMax = Number(value)
    if (!(inflightMax >= 1)) usage()
  } else if (args[i] === '--open-timeout' && value) {
    openTimeout = Number(value)
    if (!(openTimeout > 0)) usage()
  } else usage()
  i++
}
if (targets.length === 0) usage()

const say = (record) => process.stdout.write(JSON.stringify(record) + '\n')
// Node raises its soft RLIMIT_NOFILE to the hard limit at start-up; report what it got.
const nofileLine = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
const nofile = Number(nofileLine?.split(/\s+/)[3]) || null
const open = new Set()
const counts = {established: 0, failed: 0, peerClosed: 0, refused: 0, unexpected: 0, attempts: 0, addrInUse: 0}
let firstBytes = ''
let echoRoundOn = false
let mismatched = 0
let echoClosed = 0
const MISMATCH = -1
/** The first bytes of the first reply that was not an echo, as printable text for the report. */
function keepFirstBytes(chunk) {
  if (firstBytes === '' && chunk.length > 0) firstBytes = chunk.subarray(0, 64).toString('latin1')
}
let inflight = 0
let nextTarget = 0
let sourceIndex = 0
let sourcePort = -1
let lastError = ''
let echoed = 0
const traffic = {size: 0, intervalMs: 0, rounds: 0, bytesSent: 0, bytesReceived: 0, writeFailed: 0, timer: undefined}

function nextSource() {
  while (sourceIndex < sources.length) {
    const s = sources[sourceIndex]
    if (sourcePort < 0) sourcePort = s.lo
    if (sourcePort <= s.hi) return {localAddress: s.ip, localPort: sourcePort++}
    sourceIndex++
    sourcePort = -1
  }
  return undefined
}
const sourcesLeft = () => sources.length === 0 || sourceIndex < sources.length
const report = (event, target) => say({event, target, ...counts, sourcesLeft: sourcesLeft(), error: lastError, firstBytes})

// Run one command at a time, in order.
let queue = Promise.resolve()
const lines = readline.createInterface({input: process.stdin})
lines.on('line', (line) => {
  queue = queue.then(() => run(line.trim()))
})
lines.on('close', () => {
  queue = queue.then(quit)
})
process.on('SIGTERM', quit)

async function run(command) {
  const openMatch = /^open (\d+)$/.exec(command)
  if (openMatch) return openUntil(Number(openMatch[1]))
  if (command === 'echo') return echoRound()
  const trafficMatch = /^traffic (\d+) (\d+)$/.exec(command)
  if (trafficMatch) return setTraffic(Number(trafficMatch[1]), Number(trafficMatch[2]))
  if (command === 'count') return report('count', counts.established)
  if (command === 'quit') return quit()
  if (command) say({event: 'error', message: 'unknown command'})
}

function openUntil(target) {
  lastError = ''
  const failedAtStart = counts.failed
  const refusedAtStart = counts.refused
  const giveUp = Math.max(64, Math.floor(target / 20))
  const maxAttempts = 2 * target + 1000
  const deadline = Date.now() + openTimeout * 1000
  let stop = false
  return new Promise((resolve) => {
    let finished = false
    const finish = () => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      report('open', target)
      resolve()
    }
    const timer = setTimeout(() => {
      stop = true
      lastError = 'connect: Connection timed out'
      finish()
    }, Math.max(1, deadline - Date.now()))
    const pump = () => {
      while (!stop && inflight < inflightMax && counts.established + inflight < target) {
        if (counts.attempts >= maxAttempts) {
          lastError = `gave up after ${counts.attempts} connection attempts for ${target} connections`
          stop = true
          break
        }
        if (counts.refused - refusedAtStart >= giveUp) {
          lastError = `the server refused ${counts.refused - refusedAtStart} connections`
          stop = true
          break
        }
        const local = sources.length ? nextSource() : {}
        if (!local) {
          stop = true
          break
        }
        start(local, target, pump, () => {
          if (counts.failed - failedAtStart >= giveUp) stop = true
        })
      }
      if (counts.established >= target || (stop && inflight === 0)) finish()
    }
    pump()
  })
}

function start(local, target, pump, afterFailure) {
  const to = targets[nextTarget++ % targets.length]
  inflight++
  counts.attempts++
  const socket = net.connect({host: to.host, port: to.port, ...local, noDelay: true})
  let connected = false
  socket.on('connect', () => {
    connected = true
    inflight--
    counts.established++
    open.add(socket)
    socket.got = 0
    pump()
  })
  socket.on('data', (chunk) => onBytes(socket, chunk))
  socket.on('error', (error) => {
    if (connected) return
    if (error.code === 'EADDRINUSE') counts.addrInUse++
    else {
      counts.failed++
      lastError = `${error.syscall ?? 'connect'}: ${error.message}`
      afterFailure()
    }
  })
  socket.on('close', () => {
    if (connected) {
      if (open.delete(socket)) {
        counts.established--
        counts.peerClosed++
        counts.refused++
        // Closed before its echo came back (a wrong answer is counted already).
        if (echoRoundOn && socket.got >= 0 && socket.got < ECHO.length) echoClosed++
      }
    } else {
      inflight--
      pump()
    }
  })
}

// Bytes from the server: in an echo round they must match the message byte for byte; with
// traffic on, the echo of the 'x' payload; otherwise nothing was asked for, so the server is
// talking on its own (a refusal banner, an error page): the connection is refused and reset.
function onBytes(socket, chunk) {
  traffic.bytesReceived += chunk.length
  for (let i = 0; i < chunk.length; i++) {
    if (echoRoundOn && socket.got >= 0 && socket.got < ECHO.length) {
      if (chunk[i] === ECHO[socket.got]) {
        if (++socket.got === ECHO.length) echoed++
        continue
      }
      mismatched++
      socket.got = MISMATCH
      keepFirstBytes(chunk.subarray(i))
      return
    }
    if (socket.got === MISMATCH) return
    if (traffic.bytesSent > 0 && chunk[i] === 0x78) continue
    counts.unexpected++
    counts.refused++
    keepFirstBytes(chunk.subarray(i))
    if (open.delete(socket)) counts.established--
    socket.resetAndDestroy()
    return
  }
}

// One round of traffic: the message on every open connection; a write the socket
// cannot take at once (its buffer full) counts as failed.
function trafficTick(message) {
  for (const socket of open) {
    if (!socket.writable) continue
    if (socket.write(message)) traffic.bytesSent += message.length
    else {
      traffic.bytesSent += message.length
      traffic.writeFailed++
    }
  }
  traffic.rounds++
}

async function setTraffic(size, intervalMs) {
  clearInterval(traffic.timer)
  traffic.timer = undefined
  if (size > 0) {
    const message = Buffer.alloc(Math.min(size, 65536), 'x')
    Object.assign(traffic, {size: message.length, intervalMs: Math.max(1, intervalMs), rounds: 0, bytesSent: 0, bytesReceived: 0, writeFailed: 0})
    trafficTick(message)
    traffic.timer = setInterval(() => trafficTick(message), traffic.intervalMs)
  } else {
    traffic.size = 0
    const deadline = Date.now() + 10_000
    while (traffic.bytesReceived < traffic.bytesSent && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const {timer: _timer, ...counters} = traffic
  say({event: 'traffic', ...counters, established: counts.established})
}

async function echoRound() {
  echoed = 0
  mismatched = 0
  echoRoundOn = true
  echoClosed = 0
  let sent = 0
  let writeFailed = 0
  for (const socket of open) {
    socket.got = 0
    if (socket.writable) {
      socket.write(ECHO)
      sent++
    } else writeFailed++
  }
  // 30 s plus 0.5 ms per connection, as the native client.
  const deadline = Date.now() + 30_000 + sent / 2
  while (echoed + mismatched + echoClosed < sent && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  echoRoundOn = false
  say({event: 'echo', sent, echoed, mismatched, closed: echoClosed, writeFailed, established: counts.established, firstBytes})
}

function quit() {
  clearInterval(traffic.timer)
  for (const socket of open) socket.resetAndDestroy()
  open.clear()
  counts.established = 0
  report('count', 0)
  process.exit(0)
}

say({event: 'ready', pid: process.pid, nofile})
