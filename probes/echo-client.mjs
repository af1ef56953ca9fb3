// c1m load client, node engine: the same command line and stdin/stdout protocol as
// echo-client.c (see there). Connections are opened with net.connect (tls.connect with --tls), at
// most --inflight at a time, each bound to the next explicit (address, port) of --source.
// As there, a connection the server closes or talks on unasked is refused (its first bytes
// kept), an echo counts only when it matches byte for byte, and attempts are bounded by 2N + 1000.
// It speaks raw TCP, WebSocket, HTTP push (sse, stream, long-poll) and MQTT 3.1.1, over TLS too
// (node-protocol.mjs), with permessage-deflate offered by --ws-deflate and inflated (node-inflate.mjs).
// With --app the connection counts once the application session is accepted (node-app.mjs), as in
// client-app.h.
import {readFileSync} from 'node:fs'
import net from 'node:net'
import readline from 'node:readline'
import tls from 'node:tls'

import {APPS, appOptions, heartbeat, Lines, takeAppOption} from './node-app.mjs'
import {DEFLATE_OFFER, MessageInflater} from './node-inflate.mjs'
import {fanoutReply, noteFanout, publisher, scanFanout} from './node-fanout.mjs'
import {TrafficLatency, TrafficSchedule} from './node-traffic.mjs'
import {LongPollAnswers, maskedFrame, mqttConnect, mqttPublish, mqttSubscribe, openingRequest, readFrames, readOpening, readPackets, SseEvents, Unchunker} from './node-protocol.mjs'

const ECHO = Buffer.from('c1m echo check!\n')

function usage() {
  process.stderr.write('usage: echo-client.mjs --target IP:PORT|[IPv6]:PORT [--target ...] [--source IP:LO-HI|[IPv6]:LO-HI ...] [--inflight K] [--open-timeout S] [--protocol tcp|ws|sse|stream|long-poll|mqtt] [--path P] [--host H] [--header \'K: V\' ...] [--mqtt-keepalive S] [--mqtt-subscribe TOPIC] [--mqtt-echo] [--tls [--ca FILE | --insecure] [--servername NAME] [--alpn P]] [--app generic|socketio|graphql-ws|nats|phoenix|stomp] [--send TEXT ...] [--expect TEXT | --expect-regex RE] [--reply MATCH=>ANSWER ...] [--reply-regex RE=>ANSWER ...] [--greeting] [--namespace NS] [--auth JSON] [--eio 3|4] [--init-payload JSON] [--subscribe-query Q] [--subject S] [--topic T] [--destination D] [--login U:P] [--heartbeat-every S]\n')
  process.exit(2)
}

const targets = []
const sources = []
let inflightMax = 256
let openTimeout = 300
const protocol = {kind: 'tcp', path: '/', host: 'localhost', headers: [], keepalive: 0, subscribe: undefined, echo: false}
let tlsOptions
/** --app: the dialect (node-app.mjs), or undefined. */
let app
const args = process.argv.slice(2)
for (let i = 0; i < args.length; i++) {
  const value = args[i + 1]
  if (args[i] === '--greeting') {
    appOptions.greeting = true
    continue
  }
  if (args[i] === '--app') {
    app = APPS[value]
    if (!app) usage()
    i++
    continue
  }
  let taken
  try {
    taken = takeAppOption(args[i], value)
  } catch {
    usage()
  }
  if (taken === 'bad') usage()
  if (taken) {
    i++
    continue
  }
  if (args[i] === '--tls' || args[i] === '--insecure') {
    tlsOptions = {...tlsOptions, ...(args[i] === '--insecure' ? {rejectUnauthorized: false} : {})}
    continue
  }
  if (args[i] === '--mqtt-echo' || args[i] === '--ws-deflate') {
    if (args[i] === '--mqtt-echo') protocol.echo = true
    else protocol.deflate = DEFLATE_OFFER
    continue
  }
  if (args[i] === '--protocol' && ['tcp', 'ws', 'sse', 'stream', 'long-poll', 'mqtt'].includes(value)) protocol.kind = value
  else if (args[i] === '--mqtt-keepalive' && /^\d+$/.test(value ?? '') && Number(value) <= 65535) protocol.keepalive = Number(value)
  else if (args[i] === '--mqtt-subscribe' && value && value.length <= 512) protocol.subscribe = value
  else if (args[i] === '--path' && value) protocol.path = value
  else if (args[i] === '--host' && value) protocol.host = value
  else if (args[i] === '--header' && value && value.includes(':') && !/[\r\n]/.test(value)) protocol.headers.push(value)
  else if (args[i] === '--ca' && value) tlsOptions = {...tlsOptions, ca: [readFileSync(value)]}
  else if (args[i] === '--servername' && value) tlsOptions = {...tlsOptions, servername: value}
  else if (args[i] === '--alpn' && value) tlsOptions = {...tlsOptions, ALPNProtocols: [value]}
  else if (args[i] === '--target' && value) {
    const m = /^(?:(\d+\.\d+\.\d+\.\d+)|\[([0-9a-f:.]+)\]):(\d+)$/i.exec(value)
    if (!m || !net.isIP(m[1] ?? m[2]) || Number(m[3]) < 1 || Number(m[3]) > 65535) usage()
    targets.push({host: m[1] ?? m[2], port: Number(m[3]), family: net.isIP(m[1] ?? m[2])})
  } else if (args[i] === '--source' && value) {
    const m = /^(?:(\d+\.\d+\.\d+\.\d+)|\[([0-9a-f:.]+)\]):(\d+)-(\d+)$/i.exec(value)
    if (!m || !net.isIP(m[1] ?? m[2]) || Number(m[3]) < 1 || Number(m[4]) > 65535 || Number(m[3]) > Number(m[4])) usage()
    sources.push({ip: m[1] ?? m[2], lo: Number(m[3]), hi: Number(m[4])})
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
// A session lives on WebSocket or raw TCP (and TLS), some on WebSocket only.
if (app && (!['tcp', 'ws'].includes(protocol.kind) || (app.wsOnly && protocol.kind !== 'ws'))) usage()
if (app?.subprotocol) protocol.headers.push(`Sec-WebSocket-Protocol: ${app.subprotocol}`)

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
/** In an echo round, this connection's echo has not come back (nor come back wrong) yet. */
const awaitingEcho = (socket) => echoRoundOn && socket.got >= 0 && socket.got < ECHO.length
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
let echoedCompressed = 0
const traffic = {size: 0, intervalMs: 0, rounds: 0, bytesSent: 0, bytesReceived: 0, writeFailed: 0, timer: undefined}
/** The payload size of the traffic last started: WebSocket echoes of it are told from pushed frames by it. */
let trafficEchoLength = 0
/** Each traffic message's echo latency from when it was due, and the messages lost (node-traffic.mjs). */
const latency = new TrafficLatency()
let trafficRate = 0
/** What the server sent unasked, pings answered, and close codes (1006: closed with no close frame). */
const pushed = {pushedBytes: 0, pushedEvents: 0, pingsAnswered: 0, keepaliveAnswers: 0}
/** --app: sessions accepted and refused, heartbeats answered (theirs or ours) and sent. */
const sessions = {sessionsAccepted: 0, sessionsRefused: 0, heartbeatsAnswered: 0, heartbeatsSent: 0}
/** The first session refusal, in the application's terms. */
let sessionError = ''
let appCount = 0
/** Connections whose session is being opened (in flight until accepted). */
const sessionsOpening = new Set()
const deflate = {deflateAccepted: 0, deflateResponse: ''}
const closeCodes = new Map()
const countClose = (code) => closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1)
/** The first TLS session's version, cipher and ALPN, as the native client reports them. */
let tlsInfo
/** Time from connect() to counting, in the native client's buckets (hist.h): 8 per doubling of µs. */
const openHist = new Map()
let openMaxMs = 0

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
function report(event, target) {
  const codes = [...closeCodes].sort((a, b) => a[0] - b[0]).map(([code, n]) => `${code}:${n}`).join(',')
  const opened = event === 'open' ? {openHist: [...openHist].sort((a, b) => a[0] - b[0]).map(([b, n]) => `${b}:${n}`).join(','), openMaxMs, ...tlsInfo} : {}
  say({event, target, ...counts, sourcesLeft: sourcesLeft(), ...pushed, ...deflate, closeCodes: codes, ...sessions, sessionError, error: lastError, firstBytes, ...opened})
}

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
  if (command === 'quit') return quit()
  if (command === 'count') return report('count', counts.established)
  if (command === 'detach') return detach()
  if (command === 'close') return closeAll('close')
  if (detached && command) return say({event: 'error', message: 'detached: only count, close and quit'})
  const openMatch = /^open (\d+)$/.exec(command)
  if (openMatch) return openUntil(Number(openMatch[1]))
  if (command === 'echo') return echoRound()
  const trafficMatch = /^traffic (\d+) (\d+)(?: (\d+(?:\.\d+)?))?$/.exec(command)
  if (trafficMatch && Number(trafficMatch[3] ?? 0) <= 1e7) return setTraffic(Number(trafficMatch[1]), Number(trafficMatch[2]), Number(trafficMatch[3] ?? 0))
  if (command === 'latency') return say(latency.window())
  if (command === 'fanout') return say(fanoutReply())
  if (command.startsWith('publish ')) return say(publish(command))
  if (command) say({event: 'error', message: 'unknown command'})
}

function openUntil(target) {
  lastError = ''
  openHist.clear()
  openMaxMs = 0
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
      // Sessions the server neither accepted nor refused in time: said in the application's terms.
      if (sessionsOpening.size > 0) {
        lastError = `${app.name}: ${sessionsOpening.size} sessions not accepted within the open timeout`
        for (const socket of sessionsOpening) {
          counts.failed++
          socket.refused = true
          socket.resetAndDestroy()
        }
        sessionsOpening.clear()
      }
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
  const options = {host: to.host, port: to.port, family: to.family, ...local, noDelay: true}
  // Over TLS the TCP socket is opened first and wrapped: only a TCP socket can be reset (a TLS one throws).
  const raw = net.connect(options)
  const socket = tlsOptions ? tls.connect({host: to.host, ...tlsOptions, socket: raw}) : raw
  socket.raw = raw
  socket.phase = 'connecting'
  socket.startedAt = performance.now()
  socket.pump = pump
  socket.on(tlsOptions ? 'secureConnect' : 'connect', () => {
    if (tlsOptions && !tlsInfo) tlsInfo = {tlsVersion: socket.getProtocol() ?? '', tlsCipher: socket.getCipher()?.name ?? '', alpn: socket.alpnProtocol || ''}
    if (protocol.kind === 'tcp') return transportOpen(socket)
    if (protocol.kind === 'mqtt') return startMqtt(socket)
    if (protocol.kind === 'long-poll') {
      // The server holds the GET until it has something: the connection counts once it is asked.
      socket.polls = new LongPollAnswers()
      socket.write(openingRequest(protocol).bytes)
      return established(socket)
    }
    const opening = openingRequest(protocol)
    socket.phase = 'opening'
    socket.accept = opening.accept
    socket.rx = Buffer.alloc(0)
    socket.write(opening.bytes)
  })
  socket.on('data', (chunk) => onData(socket, chunk))
  socket.on('error', (error) => {
    if (socket.phase !== 'connecting') return
    if (error.code === 'EADDRINUSE') counts.addrInUse++
    else {
      counts.failed++
      lastError = `${error.syscall ?? 'connect'}: ${error.message}`
      // Errors of the handshake have no syscall; all but OpenSSL's own (ERR_SSL_*) are the certificate's.
      const certificate = error.code && !error.code.startsWith('ERR_SSL') && error.code !== 'ECONNRESET'
      if (tlsOptions && error.syscall === undefined) lastError = `tls handshake: ${certificate ? 'certificate verify failed: ' : ''}${error.message}`
      afterFailure()
    }
  })
  socket.on('close', () => {
    sessionsOpening.delete(socket)
    // Its traffic messages in flight are lost.
    latency.closed(socket)
    if (socket.phase === 'session' && !socket.refused) {
      counts.peerClosed++
      counts.refused++
      if (protocol.kind === 'ws') countClose(1006)
      closedBeforeAccepted(socket, `${app.name}: the server closed the connection before accepting the session`)
    }
    socket.inflater?.close()
    if (socket.phase === 'open') {
      if (open.delete(socket)) {
        counts.established--
        counts.peerClosed++
        counts.refused++
        if (protocol.kind === 'ws') countClose(1006)
        // Closed before its echo came back (a wrong answer is counted already).
        if (awaitingEcho(socket)) echoClosed++
      }
      return
    }
    if (socket.phase === 'opening' && !socket.refused && !socket.session) {
      counts.peerClosed++
      refuseOpening(socket, socket.rx.length ? 'the server closed the connection after answering' : 'the server closed the connection before answering')
    }
    inflight--
    pump()
  })
}

/** The connection counts from now on: its time from connect() goes into the histogram. */
function established(socket) {
  sessionsOpening.delete(socket)
  socket.phase = 'open'
  inflight--
  counts.established++
  open.add(socket)
  socket.got = 0
  const ms = performance.now() - socket.startedAt
  const us = ms * 1000
  const bucket = us < 1 ? 0 : Math.min(319, Math.floor(Math.log2(us) * 8) + 1)
  openHist.set(bucket, (openHist.get(bucket) ?? 0) + 1)
  openMaxMs = Math.max(openMaxMs, Number(ms.toFixed(3)))
  socket.pump()
}

/** The server refused the opening: a status other than the one wanted, a wrong accept, a close. */
function refuseOpening(socket, why) {
  socket.refused = true
  lastError = `${{ws: 'websocket', mqtt: 'mqtt'}[protocol.kind] ?? 'http'} handshake: ${why}`
  keepFirstBytes(socket.rx)
  counts.refused++
  counts.unexpected++
  socket.raw.resetAndDestroy()
}

/**
 * Drop an open connection the server refused: its bytes quoted; unexpected unless it closed in the
 * protocol's own way.
 */
function dropOpen(socket, bytes, unexpected = true) {
  if (unexpected) counts.unexpected++
  counts.refused++
  keepFirstBytes(bytes)
  if (open.delete(socket)) counts.established--
  socket.raw.resetAndDestroy()
}

function onData(socket, chunk) {
  if (socket.phase === 'opening' && protocol.kind === 'mqtt') return onMqttOpening(socket, chunk)
  if (socket.phase === 'opening') {
    socket.rx = Buffer.concat([socket.rx, chunk])
    const answer = readOpening(socket.rx, protocol.kind, socket.accept, Boolean(protocol.deflate))
    if (answer.wait) return
    if (answer.why) return refuseOpening(socket, answer.why)
    if (app?.subprotocol && !new RegExp(`^Sec-WebSocket-Protocol: *${app.subprotocol}\\r$`, 'im').test(socket.rx.subarray(0, socket.rx.indexOf('\r\n\r\n') + 2).toString('latin1'))) {
      return refuseOpening(socket, `the server did not choose the subprotocol ${app.subprotocol}`)
    }
    if (answer.deflate) {
      deflate.deflateAccepted++
      deflate.deflateResponse ||= answer.deflate.replace(/[^\x20-\x7e]|["\\]/g, '?').slice(0, 127)
      socket.inflater = new MessageInflater()
    }
    socket.rx = Buffer.alloc(0)
    if (answer.chunked) socket.unchunk = new Unchunker()
    if (protocol.kind === 'sse') socket.sse = new SseEvents()
    transportOpen(socket)
    if (answer.rest.length > 0 && !socket.destroyed) onData(socket, answer.rest)
    return
  }
  if (socket.phase !== 'open' && socket.phase !== 'session') return
  if (protocol.kind === 'ws') onFrames(socket, chunk)
  else if (protocol.kind === 'tcp' && app) onAppBytes(socket, chunk)
  else if (protocol.kind === 'tcp') onBytes(socket, chunk)
  else if (protocol.kind === 'mqtt') onPackets(socket, chunk)
  else if (protocol.kind === 'long-poll') onAnswers(socket, chunk)
  else onPushed(socket, chunk)
}

// MQTT, as echo-client.c speaks it: CONNECT with an id of its own, CONNACK 0, then with
// --mqtt-subscribe or --mqtt-echo one SUBSCRIBE that SUBACK must grant.
let mqttIds = 0
const CONNACK_WHY = ['', 'unacceptable protocol version', 'identifier rejected', 'server unavailable', 'bad user name or password', 'not authorized']
const PINGREQ = Buffer.from([0xc0, 0])

/** The connection's own echo topic, for --message-size traffic (--mqtt-echo). */
const echoTopic = (socket) => `c1m/echo/${socket.mqttId.slice(4)}`
const mqttTopics = (socket) => [...(protocol.subscribe ? [protocol.subscribe] : []), ...(protocol.echo ? [echoTopic(socket)] : [])]

function startMqtt(socket) {
  socket.mqttId = `c1m-${process.pid}-${++mqttIds}`
  socket.phase = 'opening'
  socket.rx = Buffer.alloc(0)
  socket.write(mqttConnect(socket.mqttId, protocol.keepalive))
}

function onMqttOpening(socket, chunk) {
  socket.rx = Buffer.concat([socket.rx, chunk])
  for (;;) {
    const {packets, error} = readPackets(socket.rx)
    if (error) return refuseOpening(socket, error)
    if (packets.length === 0) return
    const {first, body, end} = packets[0]
    if (socket.subscribing) {
      if (first !== 0x90) return refuseOpening(socket, "the broker's answer to SUBSCRIBE was not a SUBACK")
      if (body.length !== 2 + mqttTopics(socket).length || body.readUInt16BE(0) !== 1) return refuseOpening(socket, 'a malformed SUBACK')
      if (body.subarray(2).includes(0x80)) return refuseOpening(socket, 'the broker refused the subscription (SUBACK 0x80)')
      return openedWith(socket, end)
    }
    if (first !== 0x20) return refuseOpening(socket, "the broker's first packet was not a CONNACK")
    if (body.length !== 2) return refuseOpening(socket, 'a malformed CONNACK')
    if (body[1] !== 0) return refuseOpening(socket, `CONNACK return code ${body[1]} (${CONNACK_WHY[body[1]] ?? 'unknown'})`)
    if (mqttTopics(socket).length === 0) return openedWith(socket, end)
    socket.write(mqttSubscribe(mqttTopics(socket)))
    socket.subscribing = true
    // What is quoted from now on is the answer to SUBSCRIBE, as the native client quotes it.
    socket.rx = socket.rx.subarray(end)
  }
}

/** The opening took the first `used` bytes: the connection counts, and the rest are its first messages. */
function openedWith(socket, used) {
  const rest = socket.rx.subarray(used)
  socket.rx = Buffer.alloc(0)
  established(socket)
  if (rest.length > 0) onData(socket, rest)
}

/**
 * Parse what the socket carried from its last read joined to chunk, and carry the part that is not
 * whole yet (a copy, so the read's buffer is not kept).
 */
function parseCarried(socket, chunk, parse) {
  const parsed = parse(socket.rx.length > 0 ? Buffer.concat([socket.rx, chunk]) : chunk)
  if (!parsed.error) socket.rx = Buffer.from(parsed.rest)
  return parsed
}

/**
 * MQTT packets once open: PINGRESP is the echo (or a keepalive's answer), PUBLISHes are pushed or
 * the echo of traffic.
 */
function onPackets(socket, chunk) {
  const {packets, error} = parseCarried(socket, chunk, readPackets)
  if (error) return dropOpen(socket, chunk)
  for (const {first, body} of packets) {
    if (first === 0xd0) {
      if (awaitingEcho(socket)) {
        socket.got = ECHO.length
        echoed++
      } else pushed.keepaliveAnswers++
      continue
    }
    if (first === 0x30 && trafficEchoLength > 0 && body.length >= 2) {
      const topicLength = body.readUInt16BE(0)
      if (body.length === 2 + topicLength + trafficEchoLength && body.subarray(2, 2 + topicLength).toString('latin1').startsWith('c1m/echo/')) {
        traffic.bytesReceived += trafficEchoLength
        latency.echo(socket)
        continue
      }
    }
    noteFanout(body)
    pushed.pushedEvents++
    pushed.pushedBytes += body.length
  }
}

/** Long-poll answers: each completed one asks again; a status other than 200 or 204 ends the connection. */
function onAnswers(socket, chunk) {
  const {completed, messages, bytes, refusal} = socket.polls.push(chunk)
  pushed.pushedEvents += messages
  pushed.pushedBytes += bytes
  if (refusal) {
    lastError = refusal.status ? `long-poll: the server answered with status ${refusal.status}` : 'long-poll: an answer that is not HTTP/1.x or a head longer than 2 KiB'
    countClose(refusal.status)
    counts.peerClosed++
    return dropOpen(socket, refusal.bytes, false)
  }
  for (let i = 0; i < completed; i++) socket.write(openingRequest(protocol).bytes)
}

/**
 * WebSocket frames from the server, as echo-client.c reads them (see on_message there); a
 * compressed message is inflated first, and what comes after it on the connection waits its turn.
 */
function onFrames(socket, chunk) {
  const {frames, error} = parseCarried(socket, chunk, (buffer) => readFrames(buffer, Boolean(socket.inflater)))
  if (error) return dropOpen(socket, chunk)
  const inflater = socket.inflater
  for (const frame of frames) {
    const {opcode, payload} = frame
    if (inflater && ((frame.compressed && opcode <= 2) || (opcode === 0 && inflater.inMessage))) {
      const failed = () => {
        lastError = 'permessage-deflate: a message that does not inflate'
        dropOpen(socket, payload)
      }
      if (opcode) socket.messageOpcode = opcode
      const first = socket.messageOpcode
      inflater.push(payload, frame.fin, (text) => live(socket) && onFrame(socket, first, text, true), failed)
    } else if (inflater?.busy) inflater.after(() => live(socket) && onFrame(socket, opcode, payload))
    else if (onFrame(socket, opcode, payload) === 'dropped') return
  }
}

/** Whether the connection still reads messages: open, or opening its session (--app). */
const live = (socket) => socket.phase === 'open' || (socket.phase === 'session' && !socket.refused)

/** One frame's message (inflated when compressed); 'dropped' when the connection was. */
function onFrame(socket, opcode, payload, compressed = false) {
  if (opcode === 0x9) {
    socket.write(maskedFrame(0xa, payload))
    pushed.pingsAnswered++
  } else if (opcode === 0x8) {
    const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005
    if (app) {
      // --app: a close is quoted in the application's terms; before acceptance it refuses the session.
      const why = `${app.name}: ${payload.length >= 2 ? `closed ${code} ${payload.subarray(2, 122).toString('utf8')}` : 'closed with no status code'}`
      if (socket.phase === 'session') {
        counts.peerClosed++
        counts.refused++
        countClose(code)
        closedBeforeAccepted(socket, why)
        return 'dropped'
      }
      lastError = printable(why)
    }
    countClose(code)
    counts.peerClosed++
    if (awaitingEcho(socket)) echoClosed++
    dropOpen(socket, payload, false)
    return 'dropped'
  } else if (opcode !== 0xa && app) {
    if (onAppMessage(socket, payload) === undefined) return 'dropped'
  } else if (opcode !== 0xa) {
    if (awaitingEcho(socket) && opcode === 0x1 && payload.length === ECHO.length) {
      if (payload.equals(ECHO)) {
        socket.got = ECHO.length
        echoed++
        if (compressed) echoedCompressed++
      } else {
        mismatched++
        socket.got = MISMATCH
        keepFirstBytes(payload)
      }
    } else if (trafficEchoLength > 0 && opcode === 0x1 && payload.length === trafficEchoLength) {
      traffic.bytesReceived += payload.length
      latency.echo(socket)
    } else {
      noteFanout(payload)
      pushed.pushedEvents++
      pushed.pushedBytes += payload.length
    }
  }
}

/** What an HTTP push server sent: unframed when chunked; SSE events or stream chunks counted. */
function onPushed(socket, chunk) {
  const {payload, chunks} = socket.unchunk ? socket.unchunk.push(chunk) : {payload: [chunk], chunks: 0}
  for (const part of payload) {
    pushed.pushedBytes += part.length
    scanFanout(part)
    if (socket.sse) pushed.pushedEvents += socket.sse.count(part)
  }
  if (protocol.kind === 'stream') pushed.pushedEvents += chunks
}

// Bytes from the server: in an echo round they must match the message byte for byte; with
// traffic on, the echo of the 'x' payload; otherwise nothing was asked for, so the server is
// talking on its own (a refusal banner, an error page): the connection is refused and reset.
function onBytes(socket, chunk) {
  traffic.bytesReceived += chunk.length
  if (!echoRoundOn) latency.tcpBytes(socket, chunk.length, trafficEchoLength)
  for (let i = 0; i < chunk.length; i++) {
    if (awaitingEcho(socket)) {
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
    dropOpen(socket, chunk.subarray(i))
    return
  }
}

// Traffic: at each round every open connection sends, at each slot (--rate) the next one in
// turn, the message timed from its scheduled time; a write the socket cannot take at once (its
// buffer full) counts as failed.
function sendTraffic(socket, messageFor, payloadLength, dueMs) {
  if (!socket.writable || !latency.room(socket)) return
  traffic.bytesSent += payloadLength
  latency.wrote(socket, dueMs)
  if (!socket.write(messageFor(socket))) traffic.writeFailed++
}

let rateTurn
function trafficTick(schedule, messageFor, payloadLength) {
  if (trafficRate > 0) {
    for (const due of schedule.due(open.size)) {
      if (!rateTurn || rateTurn.done) rateTurn = open.values()
      let next = rateTurn.next()
      if (next.done) next = (rateTurn = open.values()).next()
      if (!next.done) sendTraffic(next.value, messageFor, payloadLength, due)
    }
  } else {
    for (const due of schedule.due(1)) {
      for (const socket of open) sendTraffic(socket, messageFor, payloadLength, due)
      traffic.rounds++
    }
  }
  traffic.timer = setTimeout(() => trafficTick(schedule, messageFor, payloadLength), schedule.wait())
}

async function setTraffic(size, intervalMs, rate) {
  clearTimeout(traffic.timer)
  traffic.timer = undefined
  if (size > 0) {
    const payload = Buffer.alloc(Math.min(size, 65536), 'x')
    // Over WebSocket one masked text frame of it, the same for every connection; over MQTT a
    // PUBLISH to each connection's own echo topic.
    const frame = protocol.kind === 'ws' ? maskedFrame(0x1, payload) : payload
    const messageFor = protocol.kind === 'mqtt' ? (socket) => mqttPublish(echoTopic(socket), payload) : () => frame
    trafficEchoLength = payload.length
    trafficRate = rate
    latency.settle(open)
    const interval = rate > 0 ? 0 : Math.max(1, intervalMs)
    latency.reset(rate > 0 ? (Math.max(1, open.size) * 1000) / rate : interval)
    Object.assign(traffic, {size: payload.length, intervalMs: interval, rounds: 0, bytesSent: 0, bytesReceived: 0, writeFailed: 0})
    rateTurn = undefined
    trafficTick(new TrafficSchedule(interval, rate), messageFor, payload.length)
  } else {
    traffic.size = 0
    const deadline = Date.now() + 10_000
    while (traffic.bytesReceived < traffic.bytesSent && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
    latency.settle(open)
  }
  const {timer: _timer, ...counters} = traffic
  say({event: 'traffic', ...counters, established: counts.established, ...latency.fields(trafficRate)})
}

async function echoRound() {
  echoed = 0
  echoedCompressed = 0
  mismatched = 0
  echoRoundOn = true
  echoClosed = 0
  let sent = 0
  let writeFailed = 0
  for (const socket of open) {
    socket.got = 0
    if (socket.writable) {
      socket.write(protocol.kind === 'ws' ? maskedFrame(0x1, ECHO) : protocol.kind === 'mqtt' ? PINGREQ : ECHO)
      sent++
    } else writeFailed++
  }
  // 30 s plus 0.5 ms per connection, as the native client.
  const deadline = Date.now() + 30_000 + sent / 2
  while (echoed + mismatched + echoClosed < sent && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  echoRoundOn = false
  say({event: 'echo', sent, echoed, mismatched, closed: echoClosed, writeFailed, established: counts.established, compressed: echoedCompressed, firstBytes})
}

// --app: the application session (node-app.mjs) once the transport is open.

/** Text made printable for the report, as the native client does it. */
// eslint-disable-next-line no-control-regex -- the control characters are what it replaces
const printable = (text) => text.replace(/[\x00-\x1f\x7f-\uffff]/g, '?').slice(0, 199)

/** The transport is open: the connection counts now, or with --app once the server accepts the session. */
function transportOpen(socket) {
  if (!app) return established(socket)
  socket.phase = 'session'
  sessionsOpening.add(socket)
  socket.session = app.session(++appCount, protocol.kind === 'tcp' ? '\r\n' : '')
  socket.lines = protocol.kind === 'tcp' || app.lines ? new Lines() : undefined
  appResult(socket, socket.session.start(appSender(socket)), 0)
}

/** A dialect's message as it goes out: a masked frame (binary for NATS) over WebSocket, bytes over TCP. */
function appBytes(text) {
  const bytes = Buffer.from(text, 'utf8')
  return protocol.kind === 'ws' ? maskedFrame(app.binary ? 0x2 : 0x1, bytes) : bytes
}

/** send(text) for a dialect. */
function appSender(socket) {
  return (text) => {
    if (socket.writable) socket.write(appBytes(text))
  }
}

/** What the dialect said of a message; undefined when the connection was dropped, else the bytes to skip. */
function appResult(socket, result, length) {
  if (result.refused) {
    if (socket.phase === 'session') sessions.sessionsRefused++
    lastError = printable(result.refused)
    if (!sessionError) sessionError = lastError
    counts.refused++
    if (socket.phase === 'open') {
      if (open.delete(socket)) counts.established--
    } else socket.refused = true
    socket.resetAndDestroy()
    return undefined
  }
  if (result.answered) sessions.heartbeatsAnswered++
  if (result.accepted && socket.phase === 'session') {
    sessions.sessionsAccepted++
    established(socket)
  } else if (result.pushed) {
    pushed.pushedEvents += result.pushed === true ? 1 : result.pushed
    pushed.pushedBytes += length
  }
  return result.skip ?? 0
}

/** A session closed by the server before it was accepted: a refusal, quoted. */
function closedBeforeAccepted(socket, why) {
  sessions.sessionsRefused++
  lastError = printable(why)
  if (!sessionError) sessionError = lastError
  socket.refused = true
  socket.resetAndDestroy()
}

/** One message (a frame's payload, or the lines in it) to the dialect; undefined when dropped. */
function onAppMessage(socket, payload) {
  if (socket.lines) {
    // Over WebSocket each frame holds whole lines (NATS): no line is carried to the next frame.
    socket.lines.rest = Buffer.alloc(0)
    socket.lines.skip = 0
    return onAppBytes(socket, payload)
  }
  noteFanout(payload)
  return appResult(socket, socket.session.onText(payload.toString('utf8'), appSender(socket), socket.phase === 'session'), payload.length)
}

/** Raw TCP (or a frame of lines): each line to the dialect. */
function onAppBytes(socket, chunk) {
  let dropped = false
  const skipped = socket.lines.push(chunk, (line) => {
    noteFanout(Buffer.from(line))
    const skip = appResult(socket, socket.session.onText(line, appSender(socket), socket.phase === 'session'), Buffer.byteLength(line))
    if (skip === undefined) dropped = true
    return skip
  }, noteFanout)
  pushed.pushedBytes += skipped
  return dropped ? undefined : 0
}

// The dialect's heartbeat on every open connection (Engine.IO 3 learns its interval from the server).
let heartbeatTimer
let heartbeatEvery = 0
if (app?.heartbeat) {
  const tick = () => {
    if (!detached && heartbeat.every > 0 && heartbeat.every !== heartbeatEvery) {
      clearInterval(heartbeatTimer)
      heartbeatEvery = heartbeat.every
      heartbeatTimer = setInterval(() => {
        for (const socket of open) if (socket.writable && app.heartbeat(appSender(socket))) sessions.heartbeatsSent++
      }, heartbeatEvery * 1000)
    }
  }
  setInterval(tick, 200).unref()
}

/** Nothing writes to the connections on its own any more: no traffic, heartbeat or keepalive. */
function stopTimers() {
  clearTimeout(traffic.timer)
  clearInterval(heartbeatTimer)
  clearInterval(keepaliveTimer)
}

// After "detach": no timers write to the connections, which the servers are about to reset.
let detached = false
function detach() {
  detached = true
  stopTimers()
  report('detach', counts.established)
}

/** Reset every connection and answer `event`; detached from then on (count, close and quit only). */
function closeAll(event) {
  detached = true
  stopTimers()
  for (const socket of open) socket.raw.resetAndDestroy()
  open.clear()
  counts.established = 0
  report(event, 0)
}

function quit() {
  closeAll('count')
  process.exit(0)
}

// MQTT keepalive: a PINGREQ on every open connection at half of it, so the broker keeps them.
const keepaliveTimer = protocol.kind === 'mqtt' && protocol.keepalive > 0 ? setInterval(() => open.forEach((socket) => socket.write(PINGREQ)), protocol.keepalive * 500) : undefined

// tls: whether this client can speak TLS (node always can; the native one when built with OpenSSL).
say({event: 'ready', pid: process.pid, nofile, tls: true, batch: 0})

// "publish MS TEXT" (node-fanout.mjs): the dialect's own message (--app), an MQTT PUBLISH to the
// --mqtt-subscribe topic, or a masked WebSocket text frame, from the first open connection.
const publish = publisher((text) => {
  if (app) {
    const message = app.publish?.(text)
    return message == null ? null : appBytes(message)
  }
  const payload = Buffer.from(text, 'utf8')
  if (protocol.kind === 'mqtt') return protocol.subscribe && !/[+#]/.test(protocol.subscribe) ? mqttPublish(protocol.subscribe, payload) : null
  return protocol.kind === 'ws' ? maskedFrame(0x1, payload) : null
}, () => open.values().next().value)
