import type {Shard} from '../core/probe/plan-shards.js'
import {formatEndpoint} from '../core/units.js'
import type {EnginePrograms} from './engine.js'
import {type Peer, startPeer} from './peer.js'
import {type ClientCount, type OpenReply, type ReplyTo, type Role, type ServerCloseReply, total} from './wire.js'
import type {EchoResult, TlsSession, TrafficTotals} from '../core/probe/run-report.js'
import {addCounts, echoLatency, type Histogram, parseCounts, parseHistogram} from '../core/probe/latency.js'

/** Stop every peer (clients before servers when both are passed in that order). */
export async function stopPeers<P extends Peer>(peers: P[]): Promise<Array<Awaited<ReturnType<P['stop']>>>> {
  return Promise.all(peers.map((peer) => peer.stop() as Awaited<ReturnType<P['stop']>>))
}

/** How long a process may take to close its connections (a 2-vCPU host, 20,000 connections a process). */
const CLOSE_BOUND_MS = 120_000

/**
 * Have every peer close its connections (`close`): each one's count after, or undefined for one
 * that could not answer (a process that is gone had its sockets closed by its exit). The processes
 * stay until stop(): their exits, and the reaping of them here, are the run's teardown.
 */
export async function closePeers<R extends Role>(peers: Array<Peer<R>>): Promise<Array<ReplyTo<R, 'close'> | undefined>> {
  const answers = await Promise.allSettled(peers.map((peer) => peer.ask('close', CLOSE_BOUND_MS) as Promise<ReplyTo<R, 'close'>>))
  return answers.map((answer) => (answer.status === 'fulfilled' ? answer.value : undefined))
}

/**
 * Close every connection, and answer with the servers' counts after. With c1m's own servers it
 * goes as in bench/floor.c: every process stops watching (`detach` closes each one's epoll set,
 * all at once), the servers reset every connection (SO_LINGER 0, inherited from the listener: no
 * TIME_WAIT on either end), then the clients close what is already reset. No end's reset wakes
 * the other end, and neither makes a setsockopt per connection. Against a target, the clients
 * reset their own. No process exits here: a parent reaping a child whose descriptors a /proc
 * walker visited frees a proc inode per descriptor, on node's one thread, which would hold up the
 * next command (as floor.c reaps its workers only after its close).
 */
export async function closeAll(clients: Array<Peer<'client'>>, servers: Array<Peer<'server'>>): Promise<Array<ServerCloseReply | undefined>> {
  if (servers.length === 0) {
    await closePeers(clients)
    return []
  }
  // A process that is gone cannot detach; the order still holds (a dead server's sockets were reset
  // by its exit), so the close goes on whatever each answered.
  await Promise.allSettled([...clients.map((client) => client.ask('detach', 30_000)), ...servers.map((server) => server.ask('detach', 30_000))])
  const last = await closePeers(servers)
  await closePeers(clients)
  return last
}

/** Start all, or none: when one fails to start, the ones that did are stopped. */
async function startAll<P extends Peer>(starts: Array<() => Promise<P>>): Promise<P[]> {
  const results = await Promise.allSettled(starts.map((start) => start()))
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failure) {
    await stopPeers(started)
    throw failure.reason
  }
  return started
}

/** One echo server per listen address ("IP:PORT"; port 0 lets the kernel pick). */
export async function startServers(programs: EnginePrograms, listen: string[], backlog: number): Promise<Array<Peer<'server'>>> {
  return startAll(listen.map((at, i) => () => startPeer(programs.server, ['--listen', at, '--backlog', String(backlog)], `echo server ${i + 1} (${at})`)))
}

/**
 * `count` echo servers on one address with SO_REUSEPORT (native engine only): the kernel
 * spreads connections over them by a hash of the addresses, so not exactly evenly.
 */
export async function startReusePortServers(programs: EnginePrograms, at: string, count: number, backlog: number): Promise<Array<Peer<'server'>>> {
  const args = (where: string) => ['--listen', where, '--backlog', String(backlog), '--reuseport']
  // The first one fixes the port when the kernel picks it; the others join it.
  const first = await startPeer(programs.server, args(at), `echo server 1 (${at})`)
  const shared = `${at.slice(0, at.lastIndexOf(':'))}:${first.ready.port}`
  try {
    const rest = await startAll(Array.from({length: count - 1}, (_, i) => () => startPeer(programs.server, args(shared), `echo server ${i + 2} (${shared})`)))
    return [first, ...rest]
  } catch (error) {
    await first.stop()
    throw error
  }
}

export interface ClientOptions {
  /** "IP:PORT" endpoints each shard connects to, round robin. */
  endpoints: string[][]
  inflight: number
  openTimeoutMs: number
  /**
   * The source ports are fresh (a namespace of the probe's own, where no earlier socket holds one):
   * the native client binds them without SO_REUSEADDR, a system call a connection less. The node
   * client cannot choose (libuv sets it on every bind). There the servers are c1m's own too, so the
   * native client also submits its connects in batches (--batch: io_uring, probes/uring.h): their
   * time to open then counts from the batch's submission, which would blur a real server's.
   */
  freshSources?: boolean
}

/** One load client per shard, bound to the shard's source slices. */
export async function startClients(programs: EnginePrograms, shards: Shard[], options: ClientOptions): Promise<Array<Peer<'client'>>> {
  return startAll(
    shards.map((shard) => () => {
      const args = [
        ...options.endpoints[shard.index].flatMap((t) => ['--target', t]),
        ...shard.sources.flatMap((s) => ['--source', s]),
        '--inflight', String(options.inflight),
        '--open-timeout', String(options.openTimeoutMs / 1000),
        ...(options.freshSources && programs.client.engine === 'native' && shard.sources.length > 0 ? ['--no-reuseaddr', '--batch'] : []),
      ]
      return startPeer(programs.client, args, `load client ${shard.index + 1}`)
    }),
  )
}

/** The endpoint a server listens on, from its ready line. */
export function serverEndpoint(host: string, server: Peer<'server'>): string {
  return formatEndpoint(host, server.ready.port)
}

export interface OpenResult {
  established: number
  failed: number
  addrInUse: number
  /** Connections the server closed, or talked on unasked, after accepting them. */
  refused: number
  /** The first bytes a server sent unasked (a refusal banner), or "". */
  firstBytes: string
  /** The last error any client met, or "" */
  error: string
  /** Every client reached its target. */
  complete: boolean
  /** How long this step's connections took to count, across every client (see openLatency). */
  histogram: Histogram
  maxMs: number
  /** What TLS negotiated (the first connection of the first client that has one). */
  tls?: TlsSession
}

/** Ask every client to hold its target count of connections, all at once. */
export async function openConnections(clients: Array<Peer<'client'>>, goals: number[], timeoutMs: number): Promise<OpenResult> {
  const replies = await Promise.all(clients.map((client, i) => client.ask(`open ${goals[i]}`, timeoutMs)))
  const complete = replies.every((r, i) => r.established >= goals[i])
  return {
    established: total(replies, 'established'),
    failed: total(replies, 'failed'),
    addrInUse: total(replies, 'addrInUse'),
    refused: total(replies, 'refused'),
    firstBytes: firstBytesOf(replies),
    error: complete ? '' : whyShort(replies, total(replies, 'peerClosed')),
    complete,
    histogram: addCounts(replies.map((r) => parseHistogram(r.openHist))),
    maxMs: Math.max(0, ...replies.map((r) => r.openMaxMs)),
    tls: tlsSessionOf(replies),
  }
}

function tlsSessionOf(replies: OpenReply[]): TlsSession | undefined {
  const reply = replies.find((r) => r.tlsVersion !== undefined && r.tlsVersion !== '')
  return reply ? {version: reply.tlsVersion!, cipher: reply.tlsCipher ?? '', alpn: reply.alpn ?? ''} : undefined
}

/** The first session refused (--app), else the first error a client met, or why it could not go on. */
function whyShort(replies: ClientCount[] | OpenReply[], peerClosed: number): string {
  const error = [...replies.map((r) => r.sessionError), ...replies.map((r) => r.error)].find((e) => e !== '')
  if (error) return error
  const closed = peerClosed > 0 ? `; the server closed ${peerClosed} (out of descriptors? run more server workers)` : ''
  if (replies.some((r) => r.sourcesLeft === false)) return `every source (address, port) pair was used${closed}`
  return closed ? closed.slice(2) : ''
}

/** Connections the servers hold now. */
export async function countServerConnections(servers: Array<Peer<'server'>>): Promise<{open: number; accepted: number; rejected: number; bytes: number}> {
  const replies = await Promise.all(servers.map((server) => server.ask('count', 10_000)))
  return {open: total(replies, 'open'), accepted: total(replies, 'accepted'), rejected: total(replies, 'rejected'), bytes: total(replies, 'bytes')}
}

/** The first bytes any client kept of a reply that was not an echo, or "". */
function firstBytesOf(replies: Array<{firstBytes: string}>): string {
  return replies.map((r) => r.firstBytes).find((bytes) => bytes !== '') ?? ''
}

/** Send 16 bytes on every connection and count how many come back exactly. */
export async function echoCheck(clients: Array<Peer<'client'>>, timeoutMs: number): Promise<EchoResult> {
  const replies = await Promise.all(clients.map((client) => client.ask('echo', timeoutMs)))
  const compressed = total(replies, 'compressed')
  const sum = (key: 'sent' | 'echoed' | 'mismatched' | 'closed') => total(replies, key)
  return {sent: sum('sent'), echoed: sum('echoed'), mismatched: sum('mismatched'), closed: sum('closed'), firstBytes: firstBytesOf(replies), ...(compressed > 0 ? {compressed} : {})}
}

/**
 * Start echo traffic on every client's connections (size bytes every intervalMs, or with rate > 0
 * that many messages a second in all, each client its equal share, spread over its connections),
 * or stop it (size 0): stopping waits for the echoes in flight and answers with the totals and
 * the echo latency of every message, timed from when it was due.
 */
export async function setTraffic(clients: Array<Peer<'client'>>, size: number, intervalMs: number, timeoutMs: number, rate = 0): Promise<TrafficTotals> {
  const spread = rate > 0 ? ` ${(rate / Math.max(1, clients.length)).toFixed(6)}` : ''
  const replies = await Promise.all(clients.map((client) => client.ask(`traffic ${size} ${intervalMs}${spread}`, timeoutMs)))
  const histogram = addCounts(replies.map((r) => parseHistogram(r.latencyHist)))
  const latency = echoLatency(histogram, Math.max(0, ...replies.map((r) => r.latencyMaxMs)), total(replies, 'lost'))
  return {rounds: Math.min(...replies.map((r) => r.rounds)), bytesSent: total(replies, 'bytesSent'), bytesReceived: total(replies, 'bytesReceived'), writeFailed: total(replies, 'writeFailed'), latency}
}

export interface ClientCounts {
  established: number
  /** Connections refused since the clients started: closed by the server, or talked on unasked. */
  refused: number
  firstBytes: string
  /** Connection attempts since the clients started. */
  attempts: number
  /**
   * What the server sent unasked since the clients started: bytes, and messages (SSE events, stream
   * chunks, WebSocket frames, MQTT PUBLISHes).
   */
  pushed: {bytes: number; events: number}
  /** Connections the server closed since the clients started, with the WebSocket close codes. */
  peerClosed: number
  closeCodes: Map<number, number>
  /** WebSocket pings answered with a pong. */
  pingsAnswered: number
  /** --ws-deflate: connections whose server accepted permessage-deflate. */
  deflateAccepted: number
  /** The first server's answer to the offer (Sec-WebSocket-Extensions), its parameters with it. */
  deflateResponse: string
  /** The first client's last error, or "". */
  lastError: string
  /**
   * --app: sessions the server accepted and refused since the clients started, heartbeats answered
   * (the server's, and acknowledgements of ours) and sent, and the first refusal in the
   * application's terms ("" when none).
   */
  sessions: {accepted: number; refused: number; heartbeatsAnswered: number; heartbeatsSent: number; error: string}
}

/** What the clients hold now, and what the server refused. */
export async function readClientCounts(clients: Array<Peer<'client'>>): Promise<ClientCounts> {
  const replies = await Promise.all(clients.map((client) => client.ask('count', 10_000)))
  const sum = (key: Parameters<typeof total<ClientCount>>[1]) => total(replies, key)
  return {
    established: sum('established'),
    refused: sum('refused'),
    firstBytes: firstBytesOf(replies),
    attempts: sum('attempts'),
    pushed: {bytes: sum('pushedBytes'), events: sum('pushedEvents')},
    peerClosed: sum('peerClosed'),
    closeCodes: addCounts(replies.map((r) => parseCounts(r.closeCodes, 5000))),
    pingsAnswered: sum('pingsAnswered'),
    deflateAccepted: sum('deflateAccepted'),
    deflateResponse: replies.map((r) => r.deflateResponse).find(Boolean) ?? '',
    lastError: replies.map((r) => r.error).find(Boolean) ?? '',
    sessions: {
      accepted: sum('sessionsAccepted'),
      refused: sum('sessionsRefused'),
      heartbeatsAnswered: sum('heartbeatsAnswered'),
      heartbeatsSent: sum('heartbeatsSent'),
      error: replies.map((r) => r.sessionError).find((e) => e !== '') ?? '',
    },
  }
}

