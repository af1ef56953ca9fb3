import net from 'node:net'

import {buildProbeReport, kernelBytes} from './build-fit-report.js'
import {heldFigure} from './held-figure.js'
import {soakFigure} from './soak.js'
import {hostSocketsPerConn, serverFigures, type ServerTreeReading} from './server-figures.js'
import {readProcWalker} from './proc-walker.js'
import {PROTOCOL_TABLE, type Protocol} from './protocol.js'
import type {Refusal} from './refusal.js'
import type {ProbeReport, ProbeSample} from './fit-report.js'
import {socketCacheCost} from '../estimate/socket-cost.js'
import {PROBE_IPV6_PREFIX, PROBE_IPV6_SERVER} from '../ipv6-prefix.js'
import {formatEndpoint} from '../units.js'
import {C1mError} from '../errors.js'
import type {ConntrackEntries, EchoResult, Engine, ExternalTarget, HoldResult, Isolation, ProbeRunReport, SettleSummary, StepRecord, TlsSession} from './run-report.js'

/** What the ramp measured (src/probe/ramp.ts fills it). */
export interface RampMeasurement {
  samples: ProbeSample[]
  steps: StepRecord[]
  stopped?: string
  echo?: EchoResult & {seconds: number}
  hold?: HoldResult
  refused?: Refusal
  tls?: TlsSession
  compression?: ProbeRunReport['compression']
  /** --app: what the sessions did. */
  session?: ProbeRunReport['session']
  settle?: SettleSummary
}

/** What the report needs of the host, read once after the ramp (src/probe/read-probe-host.ts). */
export interface ProbeHostReading {
  host: ProbeReport['host']
  /** Bytes of one proc inode on this kernel with its slab packing: what a /proc walker adds per socket. */
  walkerFloor: number
}

export interface RunReportInput {
  conns: number
  steps: number
  engine: Engine
  hardNofile: number
  /** The clients' quotas (one a process) and their source slices. */
  shards: {quota: number; sources?: string[]}[]
  /** The bundled probe over IPv6 in its namespace; a target's family follows its address. */
  family?: 4 | 6
  isolation: Isolation
  protocol?: Protocol
  socketsPerConn: number
  target?: ExternalTarget
  /** With a target: each --server-pid's tree, read with the connections open. */
  serverTrees?: ServerTreeReading[]
  /** The client connections open when the trees' sockets were counted. */
  socketConns?: number
  measured: RampMeasurement
  reading: ProbeHostReading
  /** --nat: the router's own conntrack table by family, read after the ramp with the connections open. */
  conntrackEntries?: ConntrackEntries
}

/**
 * Throw the one line that says why nothing was measured, when the ramp kept fewer than two
 * samples: interrupted, or the connections failed (with what to check for this protocol).
 */
export function checkMeasured(measured: RampMeasurement, aborted: boolean, protocol?: Protocol, target?: ExternalTarget): void {
  const {samples, stopped} = measured
  if (samples.length >= 2) return
  if (aborted) {
    throw new C1mError('E_INTERRUPTED', 'interrupted before the probe took a sample with connections open; nothing was measured', 'run it again and let the ramp finish')
  }
  const fix = stopped?.includes('tls handshake:')
    ? "give --ca FILE with the CA that signed the server's certificate, --servername NAME for the name it carries, or --insecure to skip the check"
    : measured.refused?.session
    ? `the server refused the ${protocol?.session?.app ?? ''} session (its words are quoted): check --app's options (--namespace, --auth, ...) and the URL's path`
    : measured.refused
    ? PROTOCOL_TABLE[protocol?.kind ?? 'tcp'].refusedFix
    : target && /Connection refused/.test(stopped ?? '')
    ? `nothing listens at ${formatEndpoint(target.host, target.port)}: start your server there, or correct --target`
    : 'run c1m doctor --role loopback to see which limit stops connections'
  throw new C1mError('E_PROBE_FAILED', `the probe took no sample with connections open: ${stopped ?? 'no step ran'}`, fix)
}

/** The report: the fit of the samples the ramp kept, and how the run went. Pure. */
export function assembleRunReport(input: RunReportInput): ProbeRunReport {
  const {target, measured, isolation, protocol} = input
  const {samples, stopped} = measured
  const readings = measured.hold?.serverMemory
  const holdReadings = readings && measured.hold ? {readings, conns: measured.hold.conns} : undefined
  const server = input.serverTrees ? serverFigures(input.serverTrees, samples, input.socketConns ?? 0, holdReadings) : undefined
  const report = buildProbeReport({
    engine: target ? 'external' : input.engine,
    // The sockets counted on the server's side when they were; else as planned.
    socketsPerConn: hostSocketsPerConn(server, input.socketsPerConn),
    host: input.reading.host,
    samples,
    stopped,
  })
  const slabPerConn = report.fit.slabPerConn ?? {}
  const family = target ? (net.isIPv6(target.host) ? 6 : 4) : input.family ?? 4
  const socketCaches = socketCacheCost(slabPerConn, report.socketsPerConn, family)
  const sources = new Set(input.shards.flatMap((s) => (s.sources ?? []).map((x) => x.slice(0, x.lastIndexOf(':'))))).size
  return {
    ...report,
    procWalker: readProcWalker(report, input.reading.walkerFloor),
    ...(socketCaches ? {socketCaches} : {}),
    ...(isolation.clientHosts?.nat && slabPerConn.nf_conntrack ? {conntrack: {bytesPerConn: slabPerConn.nf_conntrack, cache: 'nf_conntrack' as const, family, ...(input.conntrackEntries ? {entries: input.conntrackEntries} : {})}} : {}),
    protocol: protocol?.kind ?? 'tcp',
    ...(measured.tls ? {tls: {...measured.tls, verified: !protocol?.tls?.insecure, ...(protocol?.tls?.bundled ? {bundled: true} : {})}} : {}),
    ...(measured.compression ? {compression: measured.compression} : {}),
    family,
    ...(!target && family === 6 ? {ipv6: {prefix: PROBE_IPV6_PREFIX, server: PROBE_IPV6_SERVER, sources}} : {}),
    ...(measured.session ? {session: measured.session} : {}),
    requestedConns: input.conns,
    isolation,
    ...(target ? {target: {endpoint: formatEndpoint(target.host, target.port), ...(target.name ? {name: target.name} : {}), serverPid: target.serverPid, serverProcesses: server?.processes.reduce((sum, p) => sum + p.processes, 0) ?? 0, clientEngine: input.engine}} : {}),
    ...(server ? {server} : {}),
    plan: {processesPerSide: input.shards.length, connsPerProcess: Math.max(...input.shards.map((s) => s.quota)), hardNofile: input.hardNofile, steps: input.steps},
    steps: measured.steps,
    ...(measured.settle ? {settle: measured.settle} : {}),
    ...(measured.echo ? {echo: measured.echo} : {}),
    ...(measured.hold ? {hold: withHeldFigure(measured.hold, samples, report.fit.server.bytesPerConn)} : {}),
    ...(measured.refused ? {refused: measured.refused} : {}),
    ...(stopped ? {stopped} : {}),
  }
}

/** The hold with its settled figure, when the servers' memory was read during it. */
function withHeldFigure(hold: HoldResult, samples: ProbeSample[], rampBytesPerConn: number): HoldResult {
  const readings = hold.serverMemory
  const soak = hold.soak ? withSoakFigure(hold, samples[0]) : hold
  if (!readings || readings.length === 0) return soak
  return {...soak, held: heldFigure(readings.map((r) => ({t: r.t, rss: r.rssBytes})), samples[0].server.rss, hold.conns, rampBytesPerConn)}
}

/** The soak's fitted growth, against the memory before the ramp. */
function withSoakFigure(hold: HoldResult, before: ProbeSample): HoldResult {
  const messagesPerSecond = hold.traffic ? (hold.conns * 1000) / Math.max(1, hold.traffic.intervalMs) : 0
  const figure = soakFigure(hold.soak!.readings, {serverRss: before.server.rss, kernelBytes: kernelBytes(before)}, messagesPerSecond)
  return {...hold, soak: {...hold.soak!, ...(figure ? {figure} : {})}}
}
