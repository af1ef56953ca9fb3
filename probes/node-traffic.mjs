// Traffic on open connections and its echo latency, node engine (as client-traffic.h and
// traffic-latency.h in the native client): rounds (every connection at once each interval) or a
// rate (one connection after the other, `rate` messages a second in all). Each message is timed
// from when it was DUE (the round's tick, the connection's slot), not from when it was written, so
// a client that falls behind still counts the wait (wrk2's correction of coordinated omission).
// A socket keeps two numbers: when its oldest unanswered message was due, and how many are in
// flight; echoes on one connection come in order, and when more are in flight the next is taken
// as due one period later (never later than it was). A message whose echo has not come when the
// traffic stops (after its 10 s wait), or whose connection closed first, is lost. A second
// histogram holds the same since the last "latency" command (a window), read while traffic flows.

/** The bucket of a time in hist.h's scale: 8 per doubling of microseconds, 0 under 1 us. */
export function bucketOf(ms) {
  const us = ms * 1000
  return us < 1 ? 0 : Math.min(319, Math.floor(Math.log2(us) * 8) + 1)
}

/** A histogram as "BUCKET:COUNT,..." in the order of the buckets. */
function bucketsText(hist) {
  return [...hist].sort((a, b) => a[0] - b[0]).map(([b, n]) => `${b}:${n}`).join(',')
}

export class TrafficLatency {
  hist = new Map()
  maxMs = 0
  sent = 0
  echoed = 0
  lost = 0
  /** A connection's spacing between messages, in milliseconds. */
  periodMs = 0
  /** Since the last window() (or the traffic's start): the histogram, its maximum, lost when it began. */
  windowHist = new Map()
  windowMaxMs = 0
  windowLostFrom = 0

  /** The message was written on socket, due at dueMs (performance.now()'s clock). */
  wrote(socket, dueMs) {
    this.sent++
    if (!socket.unanswered) {
      socket.unanswered = 1
      socket.dueAt = dueMs
    } else socket.unanswered++
  }

  /** Whether the socket may take another message (255 in flight: no; the message is lost). */
  room(socket) {
    if ((socket.unanswered ?? 0) < 255) return true
    this.lost++
    return false
  }

  /** An echo of traffic came whole on socket. */
  echo(socket) {
    if (!socket.unanswered) return
    const ms = performance.now() - socket.dueAt
    const bucket = bucketOf(ms)
    this.hist.set(bucket, (this.hist.get(bucket) ?? 0) + 1)
    this.windowHist.set(bucket, (this.windowHist.get(bucket) ?? 0) + 1)
    if (ms > this.maxMs) this.maxMs = ms
    if (ms > this.windowMaxMs) this.windowMaxMs = ms
    this.echoed++
    if (--socket.unanswered) socket.dueAt += this.periodMs
  }

  /** Raw TCP: n bytes of echo on socket; every `size` of them is one message's echo. */
  tcpBytes(socket, n, size) {
    if (!socket.unanswered || size <= 0) return
    let got = (socket.echoPart ?? 0) + n
    while (got >= size && socket.unanswered) {
      got -= size
      this.echo(socket)
    }
    socket.echoPart = socket.unanswered ? got : 0
  }

  /** The socket closed: its messages in flight are lost now (as the native client counts them). */
  closed(socket) {
    const n = socket.unanswered ?? 0
    socket.unanswered = 0
    this.lost += n
    this.sent -= n
  }

  /** Traffic starts: everything counted anew. */
  reset(periodMs) {
    this.hist.clear()
    this.windowHist.clear()
    Object.assign(this, {maxMs: 0, sent: 0, echoed: 0, lost: 0, periodMs, windowMaxMs: 0, windowLostFrom: 0})
  }

  /** Traffic stopped: what is still in flight (or went with a closed connection) is lost. */
  settle(sockets) {
    for (const socket of sockets) socket.unanswered = 0
    this.lost += this.sent - this.echoed
    this.sent = this.echoed
  }

  /** The reply's fields, as the native client prints them. */
  fields(rate) {
    return {latencyHist: bucketsText(this.hist), latencyMaxMs: Number(this.maxMs.toFixed(3)), lost: this.lost, rate}
  }

  /** "latency": the window since the last one, as the native client prints it; the next starts now. */
  window() {
    const reply = {event: 'latency', latencyHist: bucketsText(this.windowHist), latencyMaxMs: Number(this.windowMaxMs.toFixed(3)), lost: this.lost - this.windowLostFrom}
    this.windowHist.clear()
    this.windowMaxMs = 0
    this.windowLostFrom = this.lost
    return reply
  }
}

/**
 * When traffic is due: rounds every intervalMs, or slots 1000/rate ms apart. next() gives the
 * scheduled time of the next round or slot; a schedule more than a second behind starts again
 * from now (no backlog beyond that), as the native client does.
 */
export class TrafficSchedule {
  constructor(intervalMs, rate) {
    this.stepMs = rate > 0 ? 1000 / rate : intervalMs
    this.nextAt = performance.now()
  }

  /** The scheduled times due by now, at most `limit` of them. */
  due(limit) {
    const now = performance.now()
    const times = []
    while (this.nextAt <= now && times.length < limit) {
      times.push(this.nextAt)
      this.nextAt += this.stepMs
    }
    const behind = this.stepMs >= 1000 ? this.stepMs : 1000
    if (this.nextAt < now - behind || (limit <= 1 && this.nextAt < now)) this.nextAt = Math.max(this.nextAt, now)
    return times
  }

  /** Milliseconds until the next scheduled time. */
  wait() {
    return Math.max(0, this.nextAt - performance.now())
  }
}
