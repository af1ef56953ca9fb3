import {addCounts, type CurvePoint, deliveryCurve, type Histogram, openLatency, parseHistogram} from './latency.js'

// Fan-out: one message reaching every connection. The senders (the bundled servers' broadcasts,
// or c1m's --publish) put "c1m-fanout SEQ SENT_US" in it, SENT_US on CLOCK_MONOTONIC; the clients
// time each receipt on the same clock (probes/fanout.h says why that clock) into a histogram per
// broadcast. Broadcast SEQ of every sender is one round: its figures add up across processes.

/** One broadcast as one client process saw it ("SEQ SENT_US GOT MIN_MS MAX_MS HIST"). */
export interface ClientBroadcast {
  seq: number
  sentUs: number
  received: number
  minMs: number
  maxMs: number
  histogram: Histogram
}

/** One broadcast over every process: the figures c1m reports. */
export interface BroadcastFigures {
  seq: number
  /**
   * Connections it was due to reach: the bundled servers' own count of sends, or for --publish the
   * connections the clients held when publishing stopped.
   */
  expected?: number
  /** Connections that received it. */
  delivered: number
  /** Milliseconds from the send until the first and the last connection had it. */
  firstMs: number
  lastMs: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** sockstat "TCP: mem" pages, the highest read from the send until the last receipt (none: not read). */
  tcpMemPeakPages?: number
  /** When it was sent, CLOCK_MONOTONIC microseconds (the earliest sender). */
  sentUs: number
}

/**
 * Who sends: the bundled servers broadcast `size` bytes to every connection, or (--publish) the
 * first client's first connection publishes `text` through the user's server, which fans it out
 * (to the publisher too, but over NATS: c1m's CONNECT says echo false);
 * or (observed) someone else published messages carrying the token while a server that pushes was held.
 */
export type FanoutSource = {kind: 'broadcast'; everyMs: number; size: number} | {kind: 'publish'; everyMs: number; text: string; publisherReceives: boolean} | {kind: 'observed'}

/** How one broadcast spread: the share of its expected connections that had it, against ms. */
export interface DeliveryCurve {
  seq: number
  /** Which broadcast it is: the first, the one whose last receipt was the median, the worst. */
  which: string
  points: CurvePoint[]
}

export interface FanoutReport {
  source: FanoutSource
  broadcasts: BroadcastFigures[]
  /** Messages with the token of a broadcast too old to be kept (the clients keep the last 256). */
  late: number
  /** The delivery curves of the first, the median and the worst broadcast (fewer when they coincide). */
  curves?: DeliveryCurve[]
}

/** The report of a fan-out: every broadcast's figures and the curves of three of them. */
export function fanoutReport(source: FanoutSource, clients: ClientBroadcast[][], senders: Array<Map<number, number>> | undefined, readings: MemReading[], late: number): FanoutReport {
  const broadcasts = mergeBroadcasts(clients, senders, readings)
  const report: FanoutReport = {source, broadcasts, late}
  if (broadcasts.length === 0) return report
  const byLast = [...broadcasts].sort((a, b) => a.lastMs - b.lastMs)
  const picked = new Map<number, string[]>()
  for (const [which, b] of [['first', broadcasts[0]], ['median', byLast[Math.floor((byLast.length - 1) / 2)]], ['worst', byLast.at(-1)!]] as const) {
    picked.set(b.seq, [...(picked.get(b.seq) ?? []), which])
  }
  report.curves = [...picked].map(([seq, which]) => {
    const b = broadcasts.find((one) => one.seq === seq)!
    const histogram = addCounts(clients.flat().filter((one) => one.seq === seq).map((one) => one.histogram))
    return {seq, which: which.join(', '), points: deliveryCurve(histogram, b.maxMs, b.expected ?? b.delivered)}
  })
  return report
}

/** The "broadcasts" field of a client's fanout reply; malformed entries are left out. */
export function parseClientBroadcasts(text: string): ClientBroadcast[] {
  const out: ClientBroadcast[] = []
  for (const entry of text.split(';')) {
    const match = /^(\d{1,12}) (\d{1,18}) (\d{1,12}) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) ([\d:,]*)$/.exec(entry)
    if (!match) continue
    out.push({seq: Number(match[1]), sentUs: Number(match[2]), received: Number(match[3]), minMs: Number(match[4]), maxMs: Number(match[5]), histogram: parseHistogram(match[6])})
  }
  return out
}

/** A sender's "broadcastSends" ("SEQ:SENT,..."), by SEQ. */
export function parseBroadcastSends(text: string): Map<number, number> {
  const sends = new Map<number, number>()
  for (const part of text.split(',')) {
    const match = /^(\d{1,12}):(\d{1,12})$/.exec(part)
    if (match) sends.set(Number(match[1]), Number(match[2]))
  }
  return sends
}

/** A reading of sockstat TCP mem pages, at CLOCK_MONOTONIC microseconds. */
export interface MemReading {
  atUs: number
  pages: number
}

/**
 * Every broadcast over all clients (and, when the senders were asked, their sends), with the
 * highest TCP memory read between its send and its last receipt.
 */
export function mergeBroadcasts(clients: ClientBroadcast[][], senders: Array<Map<number, number>> | undefined, readings: MemReading[]): BroadcastFigures[] {
  const bySeq = new Map<number, ClientBroadcast[]>()
  for (const one of clients.flat()) bySeq.set(one.seq, [...(bySeq.get(one.seq) ?? []), one])
  const seqs = new Set([...bySeq.keys(), ...(senders ?? []).flatMap((s) => [...s.keys()])])
  return [...seqs].sort((a, b) => a - b).map((seq) => {
    const parts = bySeq.get(seq) ?? []
    const delivered = parts.reduce((n, p) => n + p.received, 0)
    const maxMs = Math.max(0, ...parts.map((p) => p.maxMs))
    const latency = openLatency(addCounts(parts.map((p) => p.histogram)), maxMs)
    const sentUs = parts.length ? Math.min(...parts.map((p) => p.sentUs)) : 0
    const lastUs = Math.max(0, ...parts.map((p) => p.sentUs + p.maxMs * 1000))
    const during = readings.filter((r) => r.atUs >= sentUs && r.atUs <= lastUs + 100_000).map((r) => r.pages)
    const figures: BroadcastFigures = {
      seq,
      delivered,
      firstMs: parts.length ? Math.min(...parts.map((p) => p.minMs)) : 0,
      lastMs: maxMs,
      p50Ms: latency?.p50 ?? 0,
      p99Ms: latency?.p99 ?? 0,
      maxMs,
      sentUs,
    }
    if (senders) figures.expected = senders.reduce((n, s) => n + (s.get(seq) ?? 0), 0)
    if (during.length) figures.tcpMemPeakPages = Math.max(...during)
    return figures
  })
}

/** What was sent, for the line before the broadcasts. */
export function describeFanoutSource(source: FanoutSource): string {
  return source.kind === 'broadcast'
    ? `fan-out: the bundled server sent every connection one ${source.size}-byte message (a WebSocket text frame, an SSE event or a stream chunk) every ${source.everyMs} ms; delay from its send to each client's receipt (CLOCK_MONOTONIC)`
    : source.kind === 'observed'
    ? "fan-out: messages carrying a c1m-fanout token (published by someone else) were timed from their stamp to each connection's receipt (CLOCK_MONOTONIC)"
    : `fan-out: one connection published ${JSON.stringify(source.text)} with a c1m-fanout token every ${source.everyMs} ms through your server; delay from the publish to each connection's receipt (CLOCK_MONOTONIC)`
}

/** One line per broadcast ("broadcast 3: 1000 of 1000 delivered, first 0.1 ms, last 27.6 ms, ..."). */
export function formatBroadcast(b: BroadcastFigures, pageSize: number): string {
  const of = b.expected === undefined ? `${b.delivered} delivered` : `${b.delivered} of ${b.expected} delivered`
  const mem = b.tcpMemPeakPages === undefined ? '' : `, TCP buffers at peak ${b.tcpMemPeakPages} pages (${Math.round((b.tcpMemPeakPages * pageSize) / 1024)} KiB)`
  return `broadcast ${b.seq}: ${of}, first after ${b.firstMs} ms, last after ${b.lastMs} ms, p50 ${b.p50Ms} ms, p99 ${b.p99Ms} ms, max ${b.maxMs} ms${mem}`
}

/** The lines of a fan-out: every broadcast when few, else the first, the worst and a summary. */
export function formatFanout(report: FanoutReport, pageSize: number): string[] {
  const {broadcasts} = report
  if (broadcasts.length === 0) return ['fan-out: no broadcast was received']
  if (broadcasts.length <= 10) return broadcasts.map((b) => formatBroadcast(b, pageSize))
  const worst = broadcasts.reduce((a, b) => (b.lastMs > a.lastMs ? b : a))
  const delivered = broadcasts.reduce((n, b) => n + b.delivered, 0)
  const expected = broadcasts.every((b) => b.expected !== undefined) ? broadcasts.reduce((n, b) => n + b.expected!, 0) : undefined
  const lasts = broadcasts.map((b) => b.lastMs).sort((a, b) => a - b)
  return [
    `${broadcasts.length} broadcasts: ${delivered}${expected === undefined ? '' : ` of ${expected}`} delivered; time to the last connection: median ${lasts[Math.floor(lasts.length / 2)]} ms, worst ${worst.lastMs} ms`,
    `worst ${formatBroadcast(worst, pageSize)}`,
  ]
}
