// Fan-out in the node client, as probes/client-fanout.h and client-publish.h in the native one: a
// pushed message that carries "c1m-fanout SEQ SENT_US " is timed from SENT_US (CLOCK_MONOTONIC
// microseconds: node's hrtime on Linux, the clock the native programs read) to its receipt, in a
// histogram of hist.h's buckets per broadcast; the last 256 broadcasts are kept. "publish MS TEXT"
// makes the first open connection send that head and TEXT every MS milliseconds.

const TOKEN = Buffer.from('c1m-fanout ')
const SCAN = 512
const SLOTS = 256
const slots = new Map()
let received = 0
let late = 0

export const clockUs = () => process.hrtime.bigint() / 1000n

/** A pushed message's bytes (or its first ones): timed when it carries the token. */
export function noteFanout(bytes) {
  const at = bytes.subarray(0, SCAN).indexOf(TOKEN)
  if (at < 0) return
  const gotUs = clockUs()
  const match = /^(\d{1,12}) (\d{1,18}) /.exec(bytes.subarray(at + TOKEN.length, at + TOKEN.length + 40).toString('latin1'))
  if (!match) return
  const seq = Number(match[1])
  const sentUs = BigInt(match[2])
  if (seq < 1) return
  const oldest = Math.max(0, ...slots.keys()) - SLOTS
  if (seq <= oldest) {
    late++
    return
  }
  let slot = slots.get(seq)
  if (!slot) {
    slot = {sentUs, got: 0, minMs: Infinity, maxMs: 0, hist: new Map()}
    slots.set(seq, slot)
    for (const key of slots.keys()) if (key <= seq - SLOTS) slots.delete(key)
  }
  const us = gotUs > sentUs ? Number(gotUs - sentUs) : 0
  const bucket = us < 1 ? 0 : Math.min(319, Math.floor(Math.log2(us) * 8) + 1)
  slot.hist.set(bucket, (slot.hist.get(bucket) ?? 0) + 1)
  slot.got++
  slot.minMs = Math.min(slot.minMs, us / 1000)
  slot.maxMs = Math.max(slot.maxMs, us / 1000)
  received++
}

/** The "fanout" reply. */
export function fanoutReply() {
  const broadcasts = [...slots.entries()].sort((a, b) => a[0] - b[0]).map(([seq, s]) => {
    const hist = [...s.hist].sort((a, b) => a[0] - b[0]).map(([b, n]) => `${b}:${n}`).join(',')
    return `${seq} ${s.sentUs} ${s.got} ${s.minMs.toFixed(3)} ${s.maxMs.toFixed(3)} ${hist}`
  })
  return {event: 'fanout', received, late, broadcasts: broadcasts.join(';')}
}

/**
 * The publisher: `message(text)` builds the protocol's message (null: it cannot publish), `first()`
 * gives the first open socket. Answers each "publish" command with its reply.
 */
export function publisher(message, first) {
  let timer
  let seq = 0
  let published = 0
  let failed = 0
  const once = (text) => {
    const socket = first()
    const bytes = socket && message(`${TOKEN}${++seq} ${clockUs()} ${text}`)
    if (!bytes || !socket.writable) {
      failed++
      return
    }
    socket.write(bytes)
    published++
  }
  return (command) => {
    const match = /^publish (\d+)(?: (.*))?$/s.exec(command)
    const every = match ? Number(match[1]) : -1
    const text = match?.[2] ?? ''
    if (!match || (every !== 0 && (every < 10 || every > 86_400_000)) || Buffer.byteLength(text) > 1024) return {event: 'error', message: 'publish wants MS (0, or 10 to 86400000) and TEXT of at most 1024 bytes'}
    clearInterval(timer)
    if (every > 0) {
      if (message('') === null) return {event: 'error', message: 'publishing needs ws, mqtt with a --mqtt-subscribe topic name, or --app nats with a plain --subject'}
      published = 0
      failed = 0
      once(text)
      timer = setInterval(() => once(text), every)
    }
    return {event: 'publish', published, failed}
  }
}

/**
 * Every fan-out message in a piece of pushed HTTP payload (SSE events, stream chunks; several may
 * come in one read).
 */
export function scanFanout(bytes) {
  for (let at = bytes.indexOf(TOKEN); at >= 0; at = bytes.indexOf(TOKEN, at + TOKEN.length)) noteFanout(bytes.subarray(at))
}
