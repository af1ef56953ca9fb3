import {type EnginePrograms} from './engine.js'
import {serverEndpoint, startReusePortServers, startServers, stopPeers} from './engine-processes.js'
import type {Peer} from './peer.js'
import {waitFor} from './wait.js'

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
  app?: ServedApp
}

/** Every worker's count line, each key summed. */
async function countServers(servers: Peer[]): Promise<Record<string, number>> {
  const replies = await Promise.all(servers.map((server) => server.ask('count', 10_000)))
  return sumKeys(replies)
}

function sumKeys(replies: Array<Record<string, unknown> | undefined>): Record<string, number> {
  const sums: Record<string, number> = {}
  for (const reply of replies) {
    for (const [key, value] of Object.entries(reply ?? {})) if (typeof value === 'number') sums[key] = (sums[key] ?? 0) + value
  }
  return sums
}

/** The progress line: connections, and with a dialect its sessions and timeouts. */
function countLine(counts: Record<string, number>, app: boolean): string {
  const line = `open ${counts.open ?? 0}, accepted ${counts.accepted ?? 0}, rejected ${counts.rejected ?? 0}`
  return app ? `${line}, sessions ${counts.sessions ?? 0}, timed out ${counts.timeouts ?? 0}` : line
}

/** Run echo server workers until the duration ends or the signal fires, reporting counts as they change. */
export async function runServer(options: ServerRunOptions): Promise<ServerRunResult> {
  const listenAt = Array.from({length: options.workers}, (_, i) => `${options.host}:${options.port === 0 ? 0 : options.port + i}`)
  const servers = options.reusePort
    ? await startReusePortServers(options.programs, `${options.host}:${options.port}`, options.workers, options.backlog)
    : await startServers(options.programs, listenAt, options.backlog)
  const started = performance.now()
  const endpoints = [...new Set(servers.map((server) => serverEndpoint(options.host, server)))]
  let peakOpen = 0
  try {
    options.progress(`listening on ${endpoints.join(' ')} (${options.programs.engine}, ${servers.length} worker${servers.length > 1 ? 's' : ''}); Ctrl-C stops`)
    let last = ''
    const deadline = started + options.durationMs
    while (!options.signal?.aborted) {
      const left = deadline - performance.now()
      if (left <= 0) break
      if (!(await waitFor(Math.min(options.intervalMs, left), options.signal))) break
      const counts = await countServers(servers)
      peakOpen = Math.max(peakOpen, counts.open ?? 0)
      const line = countLine(counts, Boolean(options.app))
      if (line !== last) options.progress(line)
      last = line
    }
    const counts = await countServers(servers)
    peakOpen = Math.max(peakOpen, counts.open ?? 0)
  } catch (error) {
    await stopPeers(servers)
    throw error
  }
  // Each worker's last line, written as it closes, holds its final counters.
  const finals = await stopPeers(servers)
  const totals = sumKeys(finals)
  const sum = (key: string) => totals[key] ?? 0
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
    ...app,
  }
}
