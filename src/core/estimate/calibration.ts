import {C1mError} from '../errors.js'
import {formatBytes} from '../units.js'
import {type CacheFloors, completeShortRun, type ShortRunCompletion} from './complete-short-run.js'
import {badFigures} from '../probe/guard-figures.js'
import {readProcWalker} from '../probe/proc-walker.js'
import {reportKind} from './report-kind.js'
import {connsPerProcess} from '../probe/plan-shards.js'
import type {ProbeReport} from '../probe/fit-report.js'

/**
 * How the probe split the connections over processes (the plan of a ProbeRunReport), where the
 * report says.
 */
interface ProbePlan {
  processesPerSide: number
  hardNofile: number
}

function planOf(report: ProbeReport): ProbePlan | undefined {
  const plan = (report as ProbeReport & {plan?: Partial<ProbePlan>}).plan
  if (!plan || !Number.isInteger(plan.processesPerSide) || plan.processesPerSide! < 1 || !Number.isFinite(plan.hardNofile)) return undefined
  return {processesPerSide: plan.processesPerSide!, hardNofile: plan.hardNofile!}
}

/**
 * Process bytes per connection of one side: the growth the fit measured, plus each process's
 * own base spread over the connections. The probe runs one process per connsPerProcess(hard
 * nofile) connections, so N connections take ceil(N / that) processes and their bases grow with N
 * as the connections do. Without an N, the base is spread over one full process.
 */
function sideBytesPerConn(fit: {baseBytes: number; bytesPerConn: number}, plan: ProbePlan | undefined, forConns?: number): number {
  const growth = Math.max(0, fit.bytesPerConn)
  const perProcess = plan ? connsPerProcess(plan.hardNofile) : 0
  if (!plan || perProcess <= 0) return growth
  const basePerProcess = Math.max(0, fit.baseBytes) / plan.processesPerSide
  if (forConns === undefined || forConns <= 0) return growth + basePerProcess / perProcess
  return growth + (basePerProcess * Math.ceil(forConns / perProcess)) / forConns
}

/**
 * Slab caches of the local-port bind entries (named in slabinfo only where the kernel does not
 * merge them).
 */
export const BIND_CACHES = ['tcp_bind_bucket', 'tcp_bind2_bucket'] as const

export type ServerFigure = {kind: 'ramp'} | {kind: 'settled'; afterSeconds: number} | {kind: 'grown'; soakSeconds: number; bytesPerConnPerHour: number}

/** The parts of a run report's hold a calibration reads; a report file is checked, not trusted. */
interface HoldFigures {
  held?: {trend?: string; bytesPerConn?: number; settledAfter?: number}
  soak?: {figure?: {from?: number; to?: number; server?: {verdict?: string; endBytesPerConn?: number; bytesPerConnPerHour?: number}}}
}

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/**
 * The server bytes per connection to calibrate with, and which they are: the grown figure at the end
 * of a soak whose server memory grew above noise, else the figure settled during the hold, else the
 * ramp's slope.
 */
export function chooseServerFigure(report: ProbeReport): {bytesPerConn: number; figure: ServerFigure} {
  const hold = (report as ProbeReport & {hold?: HoldFigures}).hold
  const soak = hold?.soak?.figure
  const grown = soak?.server
  if (grown?.verdict === 'grows' && finite(grown.endBytesPerConn) && finite(grown.bytesPerConnPerHour) && finite(soak!.to)) {
    return {bytesPerConn: grown.endBytesPerConn, figure: {kind: 'grown', soakSeconds: Math.round(soak!.to), bytesPerConnPerHour: grown.bytesPerConnPerHour}}
  }
  const held = hold?.held
  if (held?.trend === 'settled' && finite(held.bytesPerConn)) return {bytesPerConn: held.bytesPerConn, figure: {kind: 'settled', afterSeconds: finite(held.settledAfter) ? held.settledAfter : 0}}
  return {bytesPerConn: report.fit.server.bytesPerConn, figure: {kind: 'ramp'}}
}

/** The words estimate adds after the report's name: which server figure it took. */
export function describeServerFigure(figure: ServerFigure): string {
  if (figure.kind === 'grown') {
    const hours = figure.soakSeconds / 3600
    const span = hours >= 1.5 ? `${hours.toFixed(1)} h` : `${Math.round(figure.soakSeconds / 60)} min`
    return `the server figure grown by the end of a ${span} soak (+${formatBytes(figure.bytesPerConnPerHour)} per connection per hour)`
  }
  if (figure.kind === 'settled') return 'the server figure settled during the hold'
  return "the server's ramp slope"
}

export interface Calibration {
  /** Where the figures came from: the report's path. */
  file: string
  engine: ProbeReport['engine']
  /** What the clients spoke (tcp, wss, ...), as core/estimate/report-kind.ts names it. */
  protocol: string
  /** How old the report is ("2 days old"), when whoever read it said. */
  age?: string
  generatedAt: string
  /** Connections of the largest sample: the scale the fit was measured at. */
  measuredConns: number
  kernel: {bytesPerConn: number; r2: number}
  /** Kernel bytes per socket, with the bind entries and conntrack entries the run grew taken out. */
  bytesPerSocket: number
  /** Bind entry bytes per connection the run's slab showed grow, or undefined when not visible. */
  bindBytesPerConn?: number
  /** Conntrack entry bytes per connection the run's slab showed grow, or undefined. */
  conntrackBytesPerConn?: number
  /**
   * Process bytes per connection of the server and client sides, each process's base included where
   * the report gives its plan.
   */
  serverBytesPerConn: number
  clientBytesPerConn: number
  /**
   * Which server figure: the ramp's slope; the figure the memory settled at during --hold; or, after
   * a soak that grew (core/probe/soak.ts), the figure grown at its end.
   */
  serverFigure: ServerFigure
  /** Whether the per-process base was spread over the connections (the report has its shard plan). */
  processBaseIncluded: boolean
  /**
   * What a short run measured below one object per socket (absorbed by free slab objects, or not
   * yet walked), added.
   */
  trend?: ShortRunCompletion
  /**
   * Whether a /proc walker visited the probe's sockets (its proc inodes and dentries are then in
   * the kernel figure); known with this host's kernel model (`floors`).
   */
  walkerVisited?: boolean
}

/**
 * The per-connection figures of a validated probe report, split into the model's terms;
 * process figures for `forConns` connections per side when given. With `floors` (this host's
 * kernel model), caches that grew by less than one object per socket are raised to it.
 */
export function calibrateFromReport(report: ProbeReport, file: string, forConns?: number, floors?: CacheFloors): Calibration {
  const slab = report.fit.slabPerConn ?? {}
  const bindSeen = BIND_CACHES.some((name) => slab[name] !== undefined)
  const bind = BIND_CACHES.reduce((sum, name) => sum + Math.max(0, slab[name] ?? 0), 0)
  const conntrack = slab.nf_conntrack === undefined ? undefined : Math.max(0, slab.nf_conntrack)
  const trend = floors ? completeShortRun(report, floors) : undefined
  const kernelPerConn = report.fit.kernel.bytesPerConn + (trend?.addedBytesPerConn ?? 0)
  const plan = planOf(report)
  const server = chooseServerFigure(report)
  const bytesPerSocket = (kernelPerConn - bind - (conntrack ?? 0)) / report.socketsPerConn
  // (a process fit a few bytes below zero is noise: sideBytesPerConn takes it as no growth)
  const bad = badFigures({'kernel bytes per socket': bytesPerSocket})
  if (bad.length > 0 || bytesPerSocket === 0) {
    throw new C1mError('E_BAD_REPORT', `${file} cannot calibrate: it gives ${bad.length > 0 ? bad.join(', ') : 'a kernel cost of 0 B per socket'}`, 'run `c1m probe` again on a quiet host')
  }
  return {
    file,
    engine: report.engine,
    protocol: reportKind(report).protocol,
    generatedAt: report.generatedAt,
    measuredConns: Math.max(...report.samples.map((s) => s.conns)),
    kernel: {bytesPerConn: kernelPerConn, r2: report.fit.kernel.r2},
    bytesPerSocket: Math.round(bytesPerSocket),
    bindBytesPerConn: bindSeen ? Math.round(bind) : undefined,
    conntrackBytesPerConn: conntrack === undefined ? undefined : Math.round(conntrack),
    serverBytesPerConn: Math.round(sideBytesPerConn({baseBytes: report.fit.server.baseBytes, bytesPerConn: server.bytesPerConn}, plan, forConns)),
    serverFigure: server.figure,
    clientBytesPerConn: Math.round(sideBytesPerConn(report.fit.client, plan, forConns)),
    processBaseIncluded: plan !== undefined,
    ...(trend ? {trend} : {}),
    ...(floors ? {walkerVisited: readProcWalker(report, floors.walker.proc_inode_cache ?? 0).visited} : {}),
  }
}
