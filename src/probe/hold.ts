import {PAGE_SIZE} from '../core/estimate/socket-cost.js'
import {readSockstat} from '../host/read/memory.js'
import type {HostRoot} from '../host/files/root.js'
import {countServerConnections, readClientCounts, echoCheck, setTraffic} from './engine-processes.js'
import type {Peer} from './peer.js'
import {waitFor} from './wait.js'
import {HeldSeries} from './held-series.js'
import {FanoutWatch} from './fanout-watch.js'
import type {FanoutSource} from '../core/probe/fanout.js'
import {SoakSeries, soakSettings} from './soak-series.js'
import {LatencyWindows} from './latency-windows.js'
import type {SoakBaseline} from '../core/probe/soak.js'
import type {HoldResult, TrafficShape, TrafficTotals} from '../core/probe/run-report.js'

export interface HoldOptions {
  root: HostRoot
  servers: Array<Peer<'server'>>
  clients: Array<Peer<'client'>>
  /** Connections open when the hold starts. */
  conns: number
  holdMs: number
  /** Echo traffic during the hold: rounds every intervalMs, or rate messages a second spread. */
  traffic?: TrafficShape
  /** Fan-out during the hold (fanout-watch.ts): the bundled servers broadcast, or a client publishes. */
  fanout?: FanoutSource
  /** Run the echo check after the hold (false with --no-echo: then not one byte is sent). */
  echo: boolean
  /** Read /proc/PID/net/sockstat (the namespace's view) instead of /proc/net/sockstat. */
  sockstatPid?: number
  /** Every protocol but raw TCP: count what the server sends unasked, and why it closed connections. */
  countMessages?: boolean
  progress: (line: string) => void
  signal?: AbortSignal
  /** The servers' process trees (read again at each reading): their memory is read about every second. */
  serverTrees?: () => number[][]
  /** The servers' RSS and the kernel bytes before the ramp: a hold longer than a minute is a soak. */
  soakBaseline?: SoakBaseline
}

/**
 * TCP buffer pages in use now (sockstat "TCP: mem"; the counter is global), unlike needs'
 * tcpMemPages, a limit.
 */
function tcpMemPagesInUse(root: HostRoot, pid?: number): number {
  return readSockstat(root, pid)?.TCP?.mem ?? 0
}

/**
 * Hold the connections for holdMs, with echo traffic on every one when asked (reading the TCP
 * buffer pages as it flows), then check both sides still hold them all and that each echoes.
 */
export async function holdConnections(options: HoldOptions): Promise<HoldResult> {
  const {root, conns} = options
  const idle = tcpMemPagesInUse(root, options.sockstatPid)
  const countsBefore = options.countMessages ? await readClientCounts(options.clients) : undefined
  const started = performance.now()
  const readings: number[] = []
  let totals: TrafficTotals | undefined
  let windows: LatencyWindows | undefined
  const seconds = Number.isFinite(options.holdMs) ? `${options.holdMs / 1000} s` : 'until Ctrl-C'
  if (options.traffic) {
    const {messageSize, intervalMs, rate} = options.traffic
    const shape = rate ? `${messageSize}-byte messages at ${rate}/s spread over them` : `${messageSize} bytes on each every ${intervalMs} ms`
    options.progress(`holding ${conns} connections for ${seconds}, ${shape}`)
    await setTraffic(options.clients, messageSize, intervalMs, 30_000, rate)
    windows = new LatencyWindows(options.clients, options.holdMs)
  } else {
    options.progress(`holding ${conns} connections for ${seconds}`)
  }
  // A server that pushes may carry someone else's c1m-fanout messages: those are timed too.
  const fanoutSource: FanoutSource | undefined = options.fanout ?? (options.countMessages ? {kind: 'observed'} : undefined)
  const fanout = fanoutSource ? new FanoutWatch(root, fanoutSource, options.servers, options.clients, options.sockstatPid) : undefined
  await fanout?.start()
  // Read the buffer pages about 20 times over the hold, at least every second, at most every 100 ms
  // (every 20 ms while broadcasting, to catch each burst's peak).
  const period = options.fanout ? 20 : Math.max(100, Math.min(1000, options.holdMs / 20))
  const deadline = started + options.holdMs
  let interrupted = false
  const series = options.serverTrees ? new HeldSeries(root, options.serverTrees, started) : undefined
  series?.read()
  const soak = startSoak(options, started)
  await soak?.read()
  for (;;) {
    const left = deadline - performance.now()
    if (left <= 0) break
    if (!(await waitFor(Math.min(period, left, windows?.untilDue() ?? Infinity), options.signal))) {
      interrupted = true
      break
    }
    if (options.traffic) readings.push(tcpMemPagesInUse(root, options.sockstatPid))
    if (options.fanout) fanout?.sample()
    if (series?.due()) series.read()
    if (soak?.due()) await soak.read()
    if (windows?.due()) await windows.read()
  }
  if (soak && !interrupted) await soak.read()
  const heldSeconds = Number(((performance.now() - started) / 1000).toFixed(3))
  if (options.traffic) totals = await setTraffic(options.clients, 0, 0, 60_000)
  // The last window: the echoes that came while the traffic stopped, and the messages left unanswered.
  await windows?.read()
  const fanoutReport = await fanout?.finish(10_000 + conns)
  const [servers, counts] = await Promise.all([countServerConnections(options.servers), readClientCounts(options.clients)])
  const clientOpen = counts.established
  // Someone else's server (no bundled servers) cannot be asked: the clients' count stands for both.
  const serverOpen = options.servers.length > 0 ? servers.open : clientOpen
  const result: HoldResult = {
    seconds: heldSeconds,
    conns,
    serverOpen,
    clientOpen,
    serverCounted: options.servers.length > 0,
    dropped: Math.max(0, conns - Math.min(serverOpen, clientOpen)),
  }
  if (series && series.readings.length > 0) result.serverMemory = series.readings
  if (fanoutReport) result.fanout = fanoutReport
  if (soak) result.soak = {everyMs: soak.every, readings: soak.readings}
  if (options.traffic && totals) {
    const peak = Math.max(idle, ...readings)
    const mean = readings.length ? readings.reduce((a, b) => a + b, 0) / readings.length : idle
    const perConn = (pages: number) => Math.round((pages * PAGE_SIZE) / Math.max(conns, 1))
    result.traffic = {
      ...options.traffic,
      ...totals,
      ...(windows ? {latencySeries: windows.series()} : {}),
      sockstatMemPages: {idle, peak, mean: Math.round(mean), readings: readings.length},
      bytesPerConn: {idle: perConn(idle), peak: perConn(peak), mean: perConn(mean)},
    }
  }
  if (countsBefore) {
    result.messagesReceived = {bytes: counts.pushed.bytes - countsBefore.pushed.bytes, events: counts.pushed.events - countsBefore.pushed.events}
    const closeCodes = Object.fromEntries([...counts.closeCodes].map(([code, n]) => [String(code), n - (countsBefore.closeCodes.get(code) ?? 0)]).filter(([, n]) => Number(n) > 0))
    result.serverClosed = {connections: counts.peerClosed - countsBefore.peerClosed, closeCodes}
    result.pingsAnswered = counts.pingsAnswered - countsBefore.pingsAnswered
  }
  if (interrupted) result.interrupted = true
  else if (options.echo) result.echo = await echoCheck(options.clients, 60_000 + conns)
  const echoed = result.echo ? `, ${result.echo.echoed} of ${result.echo.sent} echoed` : ''
  const held = result.serverCounted
    ? `servers hold ${result.serverOpen}, clients ${result.clientOpen}`
    : `clients hold ${result.clientOpen} (counted by c1m's clients; your server's own count is not known to c1m)`
  options.progress(`held ${heldSeconds} s: ${held}, ${result.dropped} dropped${echoed}`)
  return result
}

/** A soak's series when the hold is longer than a minute (C1M_SOAK_AFTER) and the servers can be read. */
function startSoak(options: HoldOptions, started: number): SoakSeries | undefined {
  const {afterMs, everyMs} = soakSettings()
  if (!(options.holdMs > afterMs) || !options.serverTrees || !options.soakBaseline) return undefined
  const held = async () => (await readClientCounts(options.clients)).established
  return new SoakSeries({root: options.root, trees: options.serverTrees, held, sockstatPid: options.sockstatPid, baseline: options.soakBaseline, conns: options.conns, progress: options.progress}, everyMs, started)
}
