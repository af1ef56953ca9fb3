import type {Shard} from '../core/probe/plan-shards.js'
import {type EnginePrograms} from './engine.js'
import {echoCheck, openConnections, readClientCounts, setTraffic, startClients, stopPeers} from './engine-processes.js'
import {waitFor} from './wait.js'
import {sampleServersRss} from './sample-memory.js'
import {countServerSockets, readServerTrees, serverTreesOf} from './server-trees.js'
import {hostRoot} from '../host/files/root.js'
import {type ClientServerFigures, clientServerFigures} from '../core/probe/server-figures.js'
import {type HeldReading, HeldSeries} from './held-series.js'
import {readKernelBytes, SoakSeries, soakSettings} from './soak-series.js'
import {soakFigure} from '../core/probe/soak.js'
import {FanoutWatch} from './fanout-watch.js'
import {LatencyWindows} from './latency-windows.js'
import type {FanoutReport, FanoutSource} from '../core/probe/fanout.js'
import type {EchoResult, HoldResult, TlsSession, TrafficShape, TrafficTotals} from '../core/probe/run-report.js'
import {type AppSession, type SessionReport, sessionOptions} from '../core/probe/session.js'
import {addCounts, type Histogram, type OpenLatency, openLatency} from '../core/probe/latency.js'

export interface ClientRunOptions {
  programs: EnginePrograms
  shards: Shard[]
  /** "IP:PORT" endpoints; every client spreads its connections over all of them. */
  endpoints: string[]
  steps: number
  inflight: number
  openTimeoutMs: number
  echo: boolean
  holdMs: number
  progress: (line: string) => void
  signal?: AbortSignal
  /** --server-pid: server process trees on this host, measured before, at the top and during the hold. */
  serverPids?: number[]
  /** --app: the session every connection opens (the result says what the sessions did). */
  session?: AppSession
  /** --message-size traffic during the hold: rounds, or a rate spread over the connections. */
  traffic?: TrafficShape
  /** --publish: one connection publishes through the server during the hold (fanout-watch.ts). */
  fanout?: FanoutSource
}

export interface ClientRunResult {
  engine: string
  endpoints: string[]
  processes: number
  conns: number
  established: number
  failed: number
  /** Source ports skipped because something else held them. */
  addrInUse: number
  /** The last connect or bind error a client met, or "". */
  error: string
  /** Seconds to open the connections, and the rate. */
  openSeconds: number
  connectsPerSecond: number
  /** Milliseconds from connect() to a connection counting, over every step: p50, p99, max. */
  openMs?: OpenLatency
  /** Over TLS: what the handshake negotiated. */
  tls?: TlsSession
  echo?: EchoResult
  heldSeconds: number
  stopped?: string
  /**
   * What the server did to the connections: how many it closed, its WebSocket close codes (code: count),
   * the first bytes of an answer nobody asked for, and how many connections were still open at the end.
   */
  server?: {closed: number; closeCodes: Record<string, number>; firstBytes: string; openAtEnd: number}
  /** --server-pid: each tree's bytes and sockets per connection, and its memory during the hold. */
  serverTrees?: ClientServerFigures
  /** --app: sessions accepted and refused, heartbeats answered and sent, by the end. */
  session?: SessionReport
  /** --message-size traffic in the hold: what went and came back, each echo's latency from its due time. */
  traffic?: TrafficShape & TrafficTotals
  /** --publish: each message's delivery (core/probe/fanout.ts). */
  fanout?: FanoutReport
  /** --server-pid and a hold longer than a minute: the soak's readings and fitted growth. */
  soak?: HoldResult['soak']
}

/** Wait out the hold, reading the servers' memory as it goes (and the soak's, in a long hold). */
async function readDuringHold(options: ClientRunOptions, series?: HeldSeries, soak?: SoakSeries, windows?: LatencyWindows): Promise<void> {
  const deadline = performance.now() + options.holdMs
  series?.read()
  await soak?.read()
  for (;;) {
    const left = deadline - performance.now()
    if (left <= 0) break
    if (!(await waitFor(Math.min(series?.every ?? Infinity, soak?.every ?? Infinity, windows?.untilDue() ?? Infinity, left), options.signal))) return
    if (series?.due()) series.read()
    if (soak?.due()) await soak.read()
    if (windows?.due()) await windows.read()
  }
  await soak?.read()
}

/** Open N connections in steps, check they echo, hold them, and reset them. */
export async function runClient(options: ClientRunOptions): Promise<ClientRunResult> {
  const {shards} = options
  const conns = shards.reduce((total, s) => total + s.quota, 0)
  const clients = await startClients(options.programs, shards, {
    endpoints: shards.map(() => options.endpoints),
    inflight: options.inflight,
    openTimeoutMs: options.openTimeoutMs,
  })
  const result: ClientRunResult = {
    engine: options.programs.engine,
    endpoints: options.endpoints,
    processes: clients.length,
    conns,
    established: 0,
    failed: 0,
    addrInUse: 0,
    error: '',
    openSeconds: 0,
    connectsPerSecond: 0,
    heldSeconds: 0,
  }
  const root = hostRoot('/')
  const serverPids = options.serverPids ?? []
  const trees = serverTreesOf(root, serverPids)
  const rssOf = () => trees().map((tree) => sampleServersRss(root, [tree]).rss)
  const rssBefore = rssOf()
  const kernelBefore = serverPids.length > 0 ? readKernelBytes(root) : 0
  const socketsBefore = countServerSockets(root, serverPids)
  try {
    const started = performance.now()
    let histogram: Histogram = new Map()
    let maxMs = 0
    for (let step = 1; step <= options.steps; step++) {
      if (options.signal?.aborted) {
        result.stopped = 'interrupted'
        break
      }
      const goals = shards.map((shard) => Math.round((shard.quota * step) / options.steps))
      const opened = await openConnections(clients, goals, options.openTimeoutMs + 30_000)
      Object.assign(result, {established: opened.established, failed: opened.failed, addrInUse: opened.addrInUse, error: opened.error})
      histogram = addCounts([histogram, opened.histogram])
      maxMs = Math.max(maxMs, opened.maxMs)
      const openMs = openLatency(histogram, maxMs)
      if (openMs) result.openMs = openMs
      result.tls ??= opened.tls
      options.progress(`${opened.established} of ${conns} connections open${opened.failed ? `, ${opened.failed} failed` : ''}`)
      if (!opened.complete) {
        result.stopped = `opened ${opened.established} of ${conns} connections${opened.error ? ` (${opened.error})` : ''}`
        break
      }
    }
    result.openSeconds = Number(((performance.now() - started) / 1000).toFixed(3))
    result.connectsPerSecond = Math.round(result.established / Math.max(result.openSeconds, 1e-3))
    // The server may have closed them all already: then there is nothing to send the echo on, or to hold.
    let open = result.established > 0 ? (await readClientCounts(clients)).established : 0
    if (options.echo && open > 0 && !options.signal?.aborted) {
      result.echo = await echoCheck(clients, 60_000 + open)
      options.progress(`echo check: ${result.echo.echoed} of ${result.echo.sent} connections echoed byte for byte`)
      // Not one echoed (a server of another protocol, closing them as it answers): nothing to hold.
      open = result.echo.echoed === 0 ? 0 : (await readClientCounts(clients)).established
    }
    if (result.established > 0 && open === 0) options.progress('no connection is left open and echoing: nothing to check or hold')
    const rssTop = rssOf()
    let readings: HeldReading[] = []
    if (options.holdMs > 0 && open > 0 && !result.stopped && !options.signal?.aborted) {
      options.progress(`holding ${result.established} connections${Number.isFinite(options.holdMs) ? ` for ${options.holdMs / 1000} s` : '; Ctrl-C stops'}`)
      const holdStart = performance.now()
      const t = options.traffic
      if (t) await setTraffic(clients, t.messageSize, t.intervalMs, 30_000, t.rate)
      const windows = t ? new LatencyWindows(clients, options.holdMs) : undefined
      const fanout = options.fanout ? new FanoutWatch(root, options.fanout, [], clients) : undefined
      await fanout?.start()
      if (serverPids.length === 0) await readDuringHold(options, undefined, undefined, windows)
      else {
        const series = new HeldSeries(root, trees, holdStart)
        const {afterMs, everyMs} = soakSettings()
        const soak = options.holdMs > afterMs
          ? new SoakSeries({root, trees, held: async () => (await readClientCounts(clients)).established, baseline: {serverRss: rssBefore.reduce((a, b) => a + b, 0), kernelBytes: kernelBefore}, conns: open, progress: options.progress}, everyMs, holdStart)
          : undefined
        await readDuringHold(options, series, soak, windows)
        readings = series.readings
        if (soak) {
          const figure = soakFigure(soak.readings, {serverRss: rssBefore.reduce((a, b) => a + b, 0), kernelBytes: kernelBefore}, 0)
          result.soak = {everyMs: soak.every, readings: soak.readings, ...(figure ? {figure} : {})}
        }
      }
      const fanned = await fanout?.finish(10_000 + result.established)
      if (fanned) result.fanout = fanned
      result.heldSeconds = Number(((performance.now() - holdStart) / 1000).toFixed(3))
      if (t) {
        const totals = await setTraffic(clients, 0, 0, 60_000)
        // The last window: the echoes that came while the traffic stopped, and the messages left unanswered.
        await windows?.read()
        result.traffic = {...t, ...totals, ...(windows ? {latencySeries: windows.series()} : {})}
      }
      if (options.signal?.aborted && Number.isFinite(options.holdMs)) result.stopped = 'interrupted'
    }
    if (serverPids.length > 0) result.serverTrees = clientServerFigures(readServerTrees(root, serverPids, socketsBefore), rssBefore, rssTop, result.established, readings)
    const counts = await readClientCounts(clients)
    result.server = {closed: counts.peerClosed, closeCodes: Object.fromEntries([...counts.closeCodes].map(([code, n]) => [String(code), n])), firstBytes: counts.firstBytes, openAtEnd: counts.established}
    if (options.session) {
      const {error, ...sessions} = counts.sessions
      result.session = {app: options.session.app, options: sessionOptions(options.session), ...sessions, ...(error ? {error} : {})}
    }
  } finally {
    await stopPeers(clients)
  }
  return result
}
