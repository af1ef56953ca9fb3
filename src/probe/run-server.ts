import {type EnginePrograms} from './engine.js'
import {countServerConnections, serverEndpoint, startReusePortServers, startServers, stopPeers} from './engine-processes.js'
import {waitFor} from './wait.js'
import {total} from './wire.js'

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
      const counts = await countServerConnections(servers)
      peakOpen = Math.max(peakOpen, counts.open)
      const line = `open ${counts.open}, accepted ${counts.accepted}, rejected ${counts.rejected}`
      if (line !== last) options.progress(line)
      last = line
    }
    const counts = await countServerConnections(servers)
    peakOpen = Math.max(peakOpen, counts.open)
  } catch (error) {
    await stopPeers(servers)
    throw error
  }
  // Each worker's last line, written as it closes, holds its final counters.
  const finals = await stopPeers(servers)
  const counted = finals.filter((r) => r !== undefined)
  const sum = (key: 'peakOpen' | 'accepted' | 'closed' | 'rejected' | 'bytes') => total(counted, key)
  peakOpen = Math.max(peakOpen, sum('peakOpen'))
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
  }
}
