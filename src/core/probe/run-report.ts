// The probe's report as c1m writes it, and its parts: what renderers, estimate and the
// command read. src/probe fills it; it is data only.

import type {ProbePhases} from './phases.js'
import type {ProbeReport} from './fit-report.js'
import type {Refusal} from './refusal.js'
import type {EchoLatency, OpenLatency} from './latency.js'
import type {LatencyWindow} from './latency-series.js'
import type {Compression, Protocol} from './protocol.js'
import type {HeldFigure} from './held-figure.js'
import type {SoakFigure, SoakReading} from './soak.js'
import type {ServerFigures} from './server-figures.js'
import type {SessionReport} from './session.js'
import type {SettledOn} from './settle.js'
import type {FanoutReport} from './fanout.js'

export type Engine = 'native' | 'node'
export const ENGINES: Engine[] = ['native', 'node']

export interface EchoResult {
  sent: number
  /** Connections whose 16 bytes came back byte for byte (inflated first when compressed). */
  echoed: number
  /**
   * permessage-deflate: echoes the server answered compressed, inflated and compared byte for byte,
   * counted in `echoed` too (reports made before the client inflated counted them uncompared).
   */
  compressed?: number
  /**
   * Connections that answered with other bytes (an error reply, an HTTP 400). Reports made before
   * the check compared bytes lack these three.
   */
  mismatched?: number
  /** Connections the server closed during the check. */
  closed?: number
  /** The first bytes of the first wrong answer, or "". */
  firstBytes?: string
}

export interface TrafficTotals {
  rounds: number
  bytesSent: number
  bytesReceived: number
  /** Writes a socket could not take whole (its send buffer was full). */
  writeFailed: number
  /** Each message's echo latency from when it was due, and the messages lost (older reports lack it). */
  latency?: EchoLatency
  /**
   * The same against time: a window every few seconds while the traffic flowed (latency-series.ts),
   * the last one ending after the traffic stopped; its messages and lost add up to latency's.
   */
  latencySeries?: LatencyWindow[]
}

/** --message-size bytes each --interval on every connection, or --rate messages a second spread over them. */
export interface TrafficShape {
  messageSize: number
  /** The rounds' interval; 0 with rate. */
  intervalMs: number
  /** --rate: messages a second in all, one connection after the other. */
  rate?: number
}

export interface BufferMemory {
  /** /proc/net/sockstat "TCP: mem" in pages: before the traffic, and the highest and mean while it flowed. */
  sockstatMemPages: {idle: number; peak: number; mean: number; readings: number}
  /** The same in bytes per connection (both of its sockets). */
  bytesPerConn: {idle: number; peak: number; mean: number}
}

export interface HoldResult {
  /** Seconds the connections were held. */
  seconds: number
  conns: number
  /** Connections each side still held at the end. */
  serverOpen: number
  clientOpen: number
  /**
   * Whether serverOpen is the servers' own count (the bundled servers), or the clients' (someone
   * else's server).
   */
  serverCounted?: boolean
  /** Connections lost during the hold: those fewer than conns on either side. */
  dropped: number
  /** The echo check after the hold (left out when interrupted, or with --no-echo). */
  echo?: EchoResult
  /** Traffic during the hold: rounds every intervalMs, or rate messages a second spread out. */
  traffic?: TrafficTotals & TrafficShape & BufferMemory
  /** --broadcast-every: each broadcast's delivery (core/probe/fanout.ts). */
  fanout?: FanoutReport
  /**
   * Every protocol but raw TCP, and every --app session: what the server sent unasked during the
   * hold: payload bytes, and messages (SSE events, stream chunks, WebSocket frames, MQTT PUBLISHes,
   * long-poll 200 answers; with --app the application's pushed messages, not its control messages).
   */
  messagesReceived?: {bytes: number; events: number}
  /**
   * Connections the server closed during the hold, and why: for WebSocket the close frame's code
   * (1005: a frame without a code; 1006: the TCP connection closed with no close frame), for
   * long-poll the HTTP status that ended it. The rest were closed or reset over TCP.
   */
  serverClosed?: {connections: number; closeCodes: Record<string, number>}
  /** WebSocket: pings the server sent during the hold, each answered with a pong. */
  pingsAnswered?: number
  interrupted?: boolean
  /**
   * The servers' memory about every second of the hold: seconds into it, the RSS summed, and each
   * --server-pid tree's when there are several.
   */
  serverMemory?: {t: number; rssBytes: number; trees?: number[]}[]
  /** The settled figure of serverMemory against the ramp's slope (core/probe/held-figure.ts). */
  held?: HeldFigure
  /**
   * A hold longer than a minute: connections held, the servers' RSS, the slab and the TCP buffer
   * pages every few seconds (everyMs, doubled each time a long series is thinned), and the fitted
   * growth per connection per hour (core/probe/soak.ts).
   */
  soak?: {everyMs: number; readings: SoakReading[]; figure?: SoakFigure}
}

export interface ExternalTarget {
  /** The address connected to (a host name is resolved once, before the run). */
  host: string
  port: number
  /** The host name it was resolved from, when one was given. */
  name?: string
  /** The server's PID; it and its descendants are measured. */
  serverPid: number
  /** Every --server-pid (the first is serverPid): a proxy and its backends, each tree measured. */
  serverPids: number[]
}

/** Where the probe ran: its own network namespace (deleted afterwards), or the host's loopback. */
export interface Isolation {
  netns: string | null
  reason: string
  /** The limits the connections met: set inside the namespace, or the host's own. */
  sysctls: Record<string, string>
  /**
   * --own-ehash: the namespace's own established hash buckets (net.ipv4.tcp_child_ehash_entries,
   * host value restored).
   */
  ownEhash?: {entries: number; restored: string}
  /**
   * --client-hosts: the simulated client hosts, their addresses, and the NAT router's namespace;
   * each host's own subnet (10.201.K.0/24, or over IPv6 fd00:c1:K::/64). Reports before prefixes lack them.
   */
  clientHosts?: {count: number; nat: boolean; serverAddress: string; addresses: string[][]; prefixes?: string[]; router?: string}
}

/** Entries in one namespace's conntrack table, by the family of the connections they track. */
export interface ConntrackEntries {
  ipv4: number
  ipv6: number
}

/** What the TLS handshake negotiated, as the first connection saw it. */
export interface TlsSession {
  version: string
  cipher: string
  /** The ALPN protocol the server chose, or "". */
  alpn: string
}

export interface StepRecord {
  step: number
  conns: number
  established: number
  /**
   * How long this step's connections took to count, in ms from connect() (TCP, then TLS, then the
   * protocol's opening): p50, p99, max. Reports before it, and the node engine, lack it.
   */
  openMs?: OpenLatency
  /** Seconds the clients took to open this step's new connections. */
  seconds: number
  connectsPerSecond: number
  /** Seconds from this step's connections counted to its sample (core/probe/settle.ts). */
  settleSeconds?: number
  /** How that wait ended: on the counters, at the --settle bound, or a sleep (someone else's server). */
  settledOn?: SettledOn
}

/** Every settle wait of the run (before the first sample, after each step), added up. */
export interface SettleSummary {
  seconds: number
  /** The --settle bound, in ms. */
  boundMs: number
  /** How many waits ended each way. */
  counters: number
  bound: number
  sleep: number
}

/** The probe report as c1m writes it: the c1m.probe/1 fields plus how the run went. */
export type ProbeRunReport = ProbeReport & {
  /**
   * What the clients spoke: raw TCP, or WebSocket (handshake checked, echo in frames). Reports
   * before it lack it: tcp.
   */
  protocol?: Protocol['kind']
  /**
   * Over TLS (tls://, wss://, https://, mqtts://): what was negotiated, and whether the server's
   * certificate was verified (false with --insecure).
   */
  tls?: TlsSession & {verified: boolean; bundled?: boolean}
  /**
   * --app: the application session every connection opened, its options (not the secret ones), and
   * how many the server accepted and refused, with the heartbeats answered and sent.
   */
  session?: SessionReport
  /**
   * A WebSocket target: permessage-deflate as offered (by default, as browsers do), on how many
   * connections the server accepted it and its answer with its parameters; or why none was offered.
   */
  compression?: Compression
  /**
   * The IP family of the connections: 6 for a target on an IPv6 address or the bundled probe's
   * --family 6 (its namespace's ULA /64, the sources spread over it). Reports before it lack it: 4.
   */
  family?: 4 | 6
  /** The bundled probe over IPv6: the prefix, and the client source addresses taken from it. */
  ipv6?: {prefix: string; server: string; sources: number}
  requestedConns: number
  isolation: Isolation
  /** With --target: the server measured, and the processes of its tree at the top of the ramp. */
  target?: {endpoint: string; name?: string; serverPid: number; serverProcesses: number; clientEngine: Engine}
  /** With --target: each --server-pid's tree on its own, and the sockets they hold per connection. */
  server?: ServerFigures
  plan: {processesPerSide: number; connsPerProcess: number; hardNofile: number; steps: number}
  steps: StepRecord[]
  echo?: EchoResult & {seconds: number}
  /**
   * With --target: connections the server never accepted (in its listen queue, or their handshake
   * dropped) when the connections were closed; they count as not held.
   */
  unaccepted?: {connections: number}
  /**
   * The native clients submitted their connects this many at a time, through io_uring (the probe's
   * own namespace, against its own servers): a connection's time to open counts from its batch's
   * submission, the connects ahead of it in the batch included. Absent: one connect() at a time.
   */
  connectBatch?: number
  /** Connections the server refused (closed, or answered unasked); the ramp stopped at them. */
  refused?: Refusal
  /** What --hold held, whether any connection dropped, and the buffer memory under traffic. */
  hold?: HoldResult
  /**
   * The slab caches a socket itself is made of (TCP, sock_inode_cache, dentry, filp,
   * eventpoll_epi), apart from whatever else grew on the host during the ramp.
   */
  socketCaches?: {bytesPerConn: number; bytesPerSocket: number}
  /**
   * --nat: what connection tracking cost per connection, from the nf_conntrack slab's growth (one
   * cache for both families); the family the router tracked (NAT66 over IPv6), and its own table's
   * entries by family, read after the ramp (and hold) with the connections open. Reports before
   * family and entries lack them.
   */
  conntrack?: {bytesPerConn: number; cache: 'nf_conntrack'; family?: 4 | 6; entries?: ConntrackEntries}
  /** Seconds to reset every connection and stop the processes. */
  closeSeconds?: number
  /**
   * The close, checked: the bundled servers' last counts (every connection they accepted closed),
   * and, in the probe's namespace, the TCP sockets left in it afterwards (in use, TIME_WAIT).
   */
  close?: {accepted?: number; closed?: number; left?: {inuse: number; tw: number}}
  /** How long the settle waits took and what ended them; reports before it lack it. */
  settle?: SettleSummary
  /** Where the wall time went. */
  phases?: ProbePhases
}
