// The protocols of the node engine's load client (echo-client.mjs), as echo-client.c speaks them:
// the WebSocket opening and frames (RFC 6455), HTTP server push (Server-Sent Events, a chunked
// stream, long-poll) and MQTT 3.1.1 packets. Pure functions and small parsers over Buffers; the
// sockets stay in echo-client.mjs.
import {createHash, randomBytes} from 'node:crypto'

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
/** The longest answer to an opening c1m reads, as the native client. */
export const OPENING_MAX = 2048

/** The Sec-WebSocket-Accept a key needs. */
export function wsAccept(key) {
  return createHash('sha1').update(key + WS_GUID).digest('base64')
}

/**
 * The opening request of a connection: the WebSocket upgrade with a fresh key (and the accept it
 * needs), or the GET of a stream or a long-poll. headers are extra "Name: value" lines.
 */
export function openingRequest({kind, path, host, headers, deflate}) {
  const extra = headers.map((h) => `${h}\r\n`).join('')
  if (kind === 'ws') {
    const key = randomBytes(16).toString('base64')
    const offer = deflate ? `Sec-WebSocket-Extensions: ${deflate}\r\n` : ''
    const text = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${offer}${extra}\r\n`
    return {bytes: Buffer.from(text, 'latin1'), accept: wsAccept(key)}
  }
  const accept = kind === 'sse' ? 'text/event-stream' : '*/*'
  return {bytes: Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAccept: ${accept}\r\nCache-Control: no-cache\r\n${extra}\r\n`, 'latin1'), accept: ''}
}

/** A header's value in an HTTP head (name without the colon, any case), or undefined. */
function header(head, name) {
  const line = head.split('\r\n').slice(1).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
  return line?.slice(name.length + 1).trim()
}

/**
 * The answer to an opening, once its head is whole: {wait: true} until then; {why} for a refusal;
 * {rest, chunked} when the connection counts, rest being the bytes after the head (and for a
 * WebSocket whose server accepted permessage-deflate, offered when `deflate`, its answer in deflate).
 */
export function readOpening(buffer, kind, accept, deflate = false) {
  const end = buffer.indexOf('\r\n\r\n')
  if (end < 0) return buffer.length >= OPENING_MAX ? {why: 'an answer longer than 2 KiB'} : {wait: true}
  const head = buffer.subarray(0, end + 4).toString('latin1')
  const rest = buffer.subarray(end + 4)
  if (kind === 'ws') {
    if (!head.startsWith('HTTP/1.1 101')) return {why: 'the status was not 101 Switching Protocols'}
    if (header(head, 'Sec-WebSocket-Accept') !== accept) return {why: 'a missing or wrong Sec-WebSocket-Accept'}
    const extension = header(head, 'Sec-WebSocket-Extensions')
    if (extension && !(deflate && /^permessage-deflate\b/i.test(extension))) return {why: 'an extension the client did not offer'}
    return {rest, chunked: false, ...(extension ? {deflate: extension} : {})}
  }
  if (!/^HTTP\/1\.[01] 200/.test(head)) return {why: 'the status was not 200'}
  if (kind === 'sse' && !/^text\/event-stream/i.test(header(head, 'Content-Type') ?? '')) return {why: 'the Content-Type was not text/event-stream'}
  return {rest, chunked: /chunked$/i.test(header(head, 'Transfer-Encoding') ?? '')}
}

/** A client's frame: FIN, the opcode, masked with a fresh key. */
export function maskedFrame(opcode, payload) {
  const len = payload.length
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]) : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigLength(len)])
  const mask = randomBytes(4)
  const body = Buffer.allocUnsafe(len)
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3]
  return Buffer.concat([head, mask, body])
}

function bigLength(len) {
  const out = Buffer.alloc(8)
  out.writeBigUInt64BE(BigInt(len))
  return out
}

/**
 * The whole frames at the start of buffer: {frames: [{opcode, payload}], rest} with rest the
 * bytes of a frame not yet whole, or {error} for a frame a server must not send (masked, a
 * reserved bit, a control frame over 125 bytes, a payload over 16 MiB).
 */
export function readFrames(buffer, deflate = false) {
  const frames = []
  let at = 0
  while (buffer.length - at >= 2) {
    const b0 = buffer[at]
    const b1 = buffer[at + 1]
    if (b1 & 0x80 || b0 & (deflate ? 0x30 : 0x70)) return {error: 'a masked frame or a reserved bit from the server'}
    let len = b1 & 0x7f
    let hl = 2
    if (len === 126) {
      if (buffer.length - at < 4) break
      len = buffer.readUInt16BE(at + 2)
      hl = 4
    } else if (len === 127) {
      if (buffer.length - at < 10) break
      const big = buffer.readBigUInt64BE(at + 2)
      if (big > 16n * 1024n * 1024n) return {error: 'a frame over 16 MiB'}
      len = Number(big)
      hl = 10
    }
    if (b0 & 0x08 && len > 125) return {error: 'a control frame over 125 bytes'}
    if (buffer.length - at < hl + len) break
    frames.push({opcode: b0 & 0x0f, fin: (b0 & 0x80) !== 0, compressed: (b0 & 0x40) !== 0, payload: buffer.subarray(at + hl, at + hl + len)})
    at += hl + len
  }
  return {frames, rest: buffer.subarray(at)}
}

/** Counts SSE events (a blank line ends one) across chunks of a stream. */
export class SseEvents {
  lastWasNewline = false
  /** The events that ended in this chunk. */
  count(chunk) {
    let events = 0
    for (const byte of chunk) {
      if (byte === 0x0d) continue
      if (byte === 0x0a) {
        if (this.lastWasNewline) {
          events++
          this.lastWasNewline = false
        } else this.lastWasNewline = true
      } else this.lastWasNewline = false
    }
    return events
  }
}

/**
 * Takes the chunked encoding off a body as it comes: payload slices, how many chunks began, the
 * bytes used, and whether the body ended (the last chunk and the trailer's blank line) within them.
 */
export class Unchunker {
  state = 'size'
  size = ''
  left = 0
  line = 0
  push(chunk) {
    const payload = []
    let chunks = 0
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]
      if (this.state === 'size') {
        if (byte === 0x0a) {
          this.left = Number.parseInt(this.size.split(';')[0] || '0', 16) || 0
          this.size = ''
          this.state = this.left > 0 ? 'data' : 'trailer'
          this.line = 0
          if (this.left > 0) chunks++
        } else if (byte !== 0x0d) this.size += String.fromCharCode(byte)
      } else if (this.state === 'data') {
        const take = Math.min(this.left, chunk.length - i)
        payload.push(chunk.subarray(i, i + take))
        this.left -= take
        i += take - 1
        if (this.left === 0) this.state = 'crlf'
      } else if (this.state === 'crlf') {
        if (byte === 0x0a) this.state = 'size'
      } else if (this.state === 'trailer') {
        if (byte === 0x0a && this.line === 0) {
          this.state = 'done'
          return {payload, chunks, used: i + 1, done: true}
        }
        if (byte === 0x0a) this.line = 0
        else if (byte !== 0x0d) this.line++
      } else return {payload, chunks, used: i, done: true}
    }
    return {payload, chunks, used: chunk.length, done: this.state === 'done'}
  }
}

/**
 * Long-poll answers as they come: each head, then its body by Content-Length, chunked, or to the
 * close. push() gives the answers completed (each wants the next GET), the 200s among them, the
 * body bytes, and a refusal (a status other than 200 or 204, or a head that is not HTTP) with the
 * head's bytes to quote.
 */
export class LongPollAnswers {
  phase = 'head'
  head = Buffer.alloc(0)
  left = 0
  unchunk = undefined
  push(chunk) {
    const out = {completed: 0, messages: 0, bytes: 0}
    while (chunk.length > 0) {
      if (this.phase === 'length') {
        const take = Math.min(this.left, chunk.length)
        out.bytes += take
        this.left -= take
        chunk = chunk.subarray(take)
        if (this.left === 0) this.answered(out)
      } else if (this.phase === 'chunked') {
        const {payload, used, done} = this.unchunk.push(chunk)
        for (const part of payload) out.bytes += part.length
        chunk = chunk.subarray(used)
        if (done) this.answered(out)
      } else if (this.phase === 'close') {
        out.bytes += chunk.length
        break
      } else {
        this.head = Buffer.concat([this.head, chunk])
        const end = this.head.indexOf('\r\n\r\n')
        if (end < 0) {
          if (this.head.length >= OPENING_MAX) return {...out, refusal: {status: 0, bytes: this.head}}
          break
        }
        const text = this.head.subarray(0, end + 4).toString('latin1')
        const headBytes = this.head
        chunk = this.head.subarray(end + 4)
        this.head = Buffer.alloc(0)
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0)
        if (status !== 200 && status !== 204) return {...out, refusal: {status, bytes: headBytes}}
        if (status === 200) out.messages++
        const length = header(text, 'Content-Length')
        if (/chunked$/i.test(header(text, 'Transfer-Encoding') ?? '')) {
          this.phase = 'chunked'
          this.unchunk = new Unchunker()
        } else if (length !== undefined && Number(length) > 0) {
          this.phase = 'length'
          this.left = Number(length)
        } else if (length !== undefined || status === 204) this.answered(out)
        else this.phase = 'close'
      }
    }
    return out
  }

  answered(out) {
    this.phase = 'head'
    out.completed++
  }
}

/** MQTT's variable-length "remaining length". */
function remainingLength(n) {
  const out = []
  do {
    out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0))
    n >>>= 7
  } while (n > 0)
  return Buffer.from(out)
}

const u16 = (n) => Buffer.from([n >> 8, n & 0xff])

/** MQTT 3.1.1 CONNECT: clean session, the keepalive, the client id. */
export function mqttConnect(id, keepalive) {
  const name = Buffer.from(id)
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2]), u16(keepalive), u16(name.length), name])
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body])
}

/** SUBSCRIBE to the topics, QoS 0 each, packet id 1. */
export function mqttSubscribe(topics) {
  const body = Buffer.concat([u16(1), ...topics.flatMap((t) => [u16(Buffer.byteLength(t)), Buffer.from(t), Buffer.from([0])])])
  return Buffer.concat([Buffer.from([0x82]), remainingLength(body.length), body])
}

/** A QoS 0 PUBLISH of payload to topic. */
export function mqttPublish(topic, payload) {
  const name = Buffer.from(topic)
  return Buffer.concat([Buffer.from([0x30]), remainingLength(2 + name.length + payload.length), u16(name.length), name, payload])
}

/**
 * The whole packets at the start of buffer: {packets: [{first, body, end}], rest} (end: the offset
 * after the packet), or {error} for a malformed length.
 */
export function readPackets(buffer) {
  const packets = []
  let at = 0
  for (;;) {
    let length = 0
    let hl = 0
    for (let i = 1; i <= 4; i++) {
      if (at + i >= buffer.length) break
      length |= (buffer[at + i] & 0x7f) << (7 * (i - 1))
      if (!(buffer[at + i] & 0x80)) {
        hl = i + 1
        break
      }
      if (i === 4) return {error: 'a malformed MQTT length'}
    }
    if (hl === 0 || buffer.length - at < hl + length) break
    packets.push({first: buffer[at], body: buffer.subarray(at + hl, at + hl + length), end: at + hl + length})
    at += hl + length
  }
  return {packets, rest: buffer.subarray(at)}
}
