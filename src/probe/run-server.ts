import {type EnginePrograms} from './engine.js'
import {serverEndpoint, startReusePortServers, startServers, stopPeers} from './engine-processes.js'
import {waitFor} from './wait.js'
import type {Peer} from './peer.js'
import type {ServerCount} from './wire.js'
import {formatEndpoint} from '../core/units.js'

export interface ServerRunOptions {
  programs: EnginePrograms
  host: string
  /** First port; worker i listens on port + i. 0: each worker gets a port from the kernel. */
  port: number
  /** Every worker on the one port, with SO_REUSEPORT (native engine). */
  reusePort?: boolean
  workers: number
  backlog: number
  durationMs: number
  intervalMs: number
  progress: (line: string) => void
  signal?: AbortSignal
  /** The dialect the workers speak (--app), whose counts the result carries. */
  app?: string
}

/** What the workers' dialect did, summed over the workers (see probes/server-app.h). */
export interface ServedApp {
  name: string
  /** Sessions opened: Socket.IO namespace connects, Phoenix channel joins answered ok. */
  sessions: number
  /** Phoenix joins refused (a topic no channel is routed for). */
  refused: number
  /** Socket.IO pongs to the server's pings, Phoenix heartbeats answered. */
  heartbeats: number
  /** Connections closed for a pong that came too late or a socket silent too long. */
  timeouts: number
  /** Events answered: echoed to their sender (Socket.IO), or replied to and pushed back (Phoenix). */
  events: number
}

export interface ServerRunResult {
  engine: string
  listen: string[]
  pids: number[]
  /**
   * Most connections held at once: each worker counts its own maximum at every accept, and the
   * workers' maxima are added (exact with one worker; with several, at most their sum).
   */
  peakOpen: number
  accepted: number
  closed: number
  /** Connections refused because a worker ran out of descriptors. */
  rejected: number
  bytesEchoed: number
  seconds: number
  /** On an IPv6 address: IPV6_V6ONLY as the listening sockets have it (0 on "::": dual-stack). */
  v6only?: 0 | 1
  app?: ServedApp
  /** --broadcast-every: broadcasts each worker made, and messages sent to connections in all. */
  broadcast?: {broadcasts: number; sent: number}
}

type CountKey = Exclude<keyof ServerCount, 'event' | 'broadcastSends'>

/** A count field summed over the workers' replies (with --app the dialect's; 0 where a reply has none). */
function sumOf(replies: ServerCount[], key: CountKey): number {
  return replies.reduce((sum, reply) => sum + (reply[key] ?? 0), 0)
}

/** Every worker's count line. */
async function countServers(servers: Peer<'server'>[]): Promise<ServerCount[]> {
  return Promise.all(servers.map((server) => server.ask('count', 10_000)))
}

/** The progress line: connections, and with a dialect its sessions and timeouts. */
function countLine(counts: ServerCount[], app: boolean): string {
  const line = `open ${sumOf(counts, 'open')}, accepted ${sumOf(counts, 'accepted')}, rejected ${sumOf(counts, 'rejected')}`
  const broadcasts = counts.some((c) => c.broadcasts !== undefined) ? `, broadcasts ${Math.max(...counts.map((c) => c.broadcasts ?? 0))} (${sumOf(counts, 'broadcastSent')} messages sent)` : ''
  return app ? `${line}, sessions ${sumOf(counts, 'sessions')}, timed out ${sumOf(counts, 'timeouts')}${broadcasts}` : line + broadcasts
}

/** What an IPv6 listener's IPV6_V6ONLY means for who can connect; "" on IPv4. */
function describeV6only(value: unknown): string {
  if (value === 0) return ', dual-stack: IPV6_V6ONLY 0, IPv4 clients reach it as ::ffff:a.b.c.d'
  if (value === 1) return ', IPv6 only: IPV6_V6ONLY 1'
  return ''
}

/** Run echo server workers until the duration ends or the signal fires, reporting counts as they change. */
export async function runServer(options: ServerRunOptions): Promise<ServerRunResult> {
  const listenAt = Array.from({length: options.workers}, (_, i) => formatEndpoint(options.host, options.port === 0 ? 0 : options.port + i))
  const servers = options.reusePort
    ? await startReusePortServers(options.programs, formatEndpoint(options.host, options.port), options.workers, options.backlog)
    : await startServers(options.programs, listenAt, options.backlog)
  const started = performance.now()
  const endpoints = [...new Set(servers.map((server) => serverEndpoint(options.host, server)))]
  let peakOpen = 0
  try {
    options.progress(`listening on ${endpoints.join(' ')} (${options.programs.engine}, ${servers.length} worker${servers.length > 1 ? 's' : ''})${describeV6only(servers[0].ready.v6only)}; Ctrl-C stops`)
    let last = ''
    const deadline = started + options.durationMs
    while (!options.signal?.aborted) {
      const left = deadline - performance.now()
      if (left <= 0) break
      if (!(await waitFor(Math.min(options.intervalMs, left), options.signal))) break
      const counts = await countServers(servers)
      peakOpen = Math.max(peakOpen, sumOf(counts, 'open'))
      const line = countLine(counts, Boolean(options.app))
      if (line !== last) options.progress(line)
      last = line
    }
    peakOpen = Math.max(peakOpen, sumOf(await countServers(servers), 'open'))
  } catch (error) {
    await stopPeers(servers)
    throw error
  }
  // Each worker's last line, written as it closes, holds its final counters.
  const finals = await stopPeers(servers)
  const v6only = servers[0].ready.v6only
  const counted = finals.filter((r) => r !== undefined)
  const sum = (key: CountKey) => sumOf(counted, key)
  peakOpen = Math.max(peakOpen, sum('peakOpen'))
  const app = options.app
    ? {app: {name: options.app, sessions: sum('sessions'), refused: sum('refused'), heartbeats: sum('heartbeats'), timeouts: sum('timeouts'), events: sum('events')}}
    : {}
  return {
    engine: options.programs.engine,
    listen: endpoints,
    pids: servers.map((s) => s.pid),
    peakOpen,
    accepted: sum('accepted'),
    closed: sum('closed'),
    rejected: sum('rejected'),
    bytesEchoed: sum('bytes'),
    seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
    ...(v6only === 0 || v6only === 1 ? {v6only} : {}),
    ...app,
    ...(counted.some((c) => c.broadcasts !== undefined) ? {broadcast: {broadcasts: Math.max(...counted.map((c) => c.broadcasts ?? 0)), sent: sum('broadcastSent')}} : {}),
  }
}
