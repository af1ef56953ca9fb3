import type {Calibration} from './calibration.js'
import type {ShortRunCompletion} from './complete-short-run.js'
import {hostTracksConnections, memoryInputForHost} from './memory-input.js'
import {connectionsThatFit, estimateMemory, type MemoryEstimate} from './memory-model.js'
import {computeNeeds, type Family, type Needs, portsPerTuple, PORTS_MAX, processesNeeded, type Role, sourceAddressesNeeded, tcpMemNeeded, tcpMemPages} from '../needs.js'
import type {ResolvedRuntime} from './resolve-runtime.js'
import {bufferBytesPerConn, tcpMemReach} from './socket-buffers.js'
import {floorsOf, modelSocketKernel, type SocketKernelModel} from './model-socket-kernel.js'
import {DEFAULT_SOCKET_CACHES, PAGE_SIZE} from './socket-cost.js'
import {parseSysctlInts} from '../sysctl-value.js'
import type {HostSnapshot} from '../host-snapshot.js'
import {formatCount} from '../units.js'

export interface EstimateRequest {
  conns: number
  role: Role
  /** IPv4 (default) or IPv6: the socket's slab cache is TCP's or TCPv6's. */
  family?: Family
  /** Hosts the connections are spread over (default 1). */
  hosts?: number
  host: HostSnapshot
  /** RAM of the host to plan for; default this host's MemTotal. */
  ramBytes?: number
  runtime: ResolvedRuntime
  calibration?: Calibration
  messageSize?: number
  active?: number
  /** Count a conntrack entry per connection; default: whether this host tracks connections. */
  conntrack?: boolean
  /** Points of the chart (default 10). */
  chartPoints?: number
}

/** Over IPv6, the same model for an IPv4 socket: what the TCPv6 object adds. */
export interface IPv4Comparison {
  /** The IPv4 socket's modelled kernel bytes. */
  bytesPerSocket: number
  /** Object sizes of TCPv6 and TCP on this host (slabinfo or the 6.18 defaults). */
  objsize: {TCPv6: number; TCP: number}
}

export interface ChartPoint {
  conns: number
  kernel: number
  process: number
  fixed: number
  total: number
}

export interface EstimateSettings extends Needs {
  /**
   * net.ipv4.tcp_mem in pages: what `c1m apply` sets for this RAM (tcpMemPages), raised where
   * the buffers of N connections need more.
   */
  tcpMem: [number, number, number]
  /** tcp_mem `c1m apply --profile million` sets for this RAM. */
  tcpMemForRam: [number, number, number]
  /** tcp_mem the buffers alone need (tcpMemNeeded); all zero when idle. */
  tcpMemForBuffers: [number, number, number]
  /** This host's tcp_mem, if read. */
  tcpMemCurrent?: [number, number, number]
  /** Client side: the port range to use and the source addresses it takes. */
  portRange?: [number, number]
  sourceAddresses?: number
  /** Source addresses with this host's current port range. */
  sourceAddressesCurrentRange?: {range: [number, number]; addresses: number}
  /** Processes each side must be split over, given this host's hard RLIMIT_NOFILE. */
  processes?: {hardNofile: number; count: number}
}

export interface EstimateResult {
  conns: number
  role: Role
  family: Family
  hosts: number
  connsPerHost: number
  /** model: the parts of a socket's kernel cost when no probe report calibrated it. */
  kernel: {source: 'probe report' | 'slabinfo' | 'default'; bytesPerSocket: number; detail: string; model?: SocketKernelModel; trend?: ShortRunCompletion; ipv4?: IPv4Comparison}
  /**
   * Total memory with the kernel model's low and high per-socket figures; absent when a probe
   * report calibrated it.
   */
  range?: {low: number; high: number}
  /**
   * With a probe report: whether a /proc/PID/fd walker visited the probe's sockets, what one costs
   * per socket on this kernel, and the total with and without it (the figure above is one of them).
   */
  walker?: {visitedDuringProbe: boolean; bytesPerSocket: number; low: number; high: number}
  runtime: ResolvedRuntime
  /** measuredEntryBytes: the entry a --nat probe report measured, used instead of the slab object size. */
  conntrack: {counted: boolean; why: string; measuredEntryBytes?: number}
  /**
   * pressureAt/maxAt: connections at which this host's tcp_mem is reached; null when never (idle)
   * or unread.
   */
  buffers: {messageSize: number; active: number; bytesPerConn: number; pressureAt: number | null; maxAt: number | null}
  /** The memory model for one host holding connsPerHost connections. */
  memory: MemoryEstimate
  /** source "this host": the MemTotal read, of this host or of the saved tree (savedTree). */
  ram: {bytes: number; source: 'this host' | '--ram'}
  /** --root: the saved host tree every reading came from; absent when this host was read. */
  savedTree?: string
  fits: boolean
  /** The most connections one such host holds with these settings. */
  maxConnsPerHost: number
  /** Hosts of this RAM that N connections take; null when not even one connection fits. */
  hostsNeeded: number | null
  settings: EstimateSettings
  chart: ChartPoint[]
  /** The same model from 0 to a little past max(N, maxConnsPerHost), with points at both. */
  hostChart: ChartPoint[]
}

function tcpMemOf(host: HostSnapshot): [number, number, number] | undefined {
  const v = parseSysctlInts(host.sysctl['net.ipv4.tcp_mem'], 3)
  return v ? [v[0], v[1], v[2]] : undefined
}

function portRangeOf(host: HostSnapshot): [number, number] | undefined {
  const v = parseSysctlInts(host.sysctl['net.ipv4.ip_local_port_range'], 2)
  return v ? [v[0], v[1]] : undefined
}

function finite(n: number | undefined): number | null {
  return n === undefined || !Number.isFinite(n) ? null : n
}

function calibrationDetail(c: Calibration): string {
  const trend = c.trend ? `; ${c.trend.note}` : ''
  return `${c.file} (${c.engine} engine, ${c.protocol}, ${formatCount(c.measuredConns)} connections${c.age ? `, ${c.age}` : ''}, kernel fit r2 ${c.kernel.r2.toFixed(3)}${trend})`
}

const KERNEL_TERMS = new Set(['kernel sockets', 'bind entries', 'conntrack', 'socket buffers'])

/** RAM, hosts, settings and a chart for N connections: the whole answer of `c1m estimate`. */
export function planEstimate(request: EstimateRequest): EstimateResult {
  const {conns, role, host, runtime, calibration} = request
  const family = request.family ?? 4
  const hosts = request.hosts ?? 1
  const connsPerHost = Math.ceil(conns / hosts)
  const messageSize = request.messageSize ?? 0
  const active = request.active ?? 0
  const buffers = bufferBytesPerConn(messageSize, active)

  const model = modelSocketKernel(host.memory.slab, host.sysctl['kernel.osrelease'], family)
  const kernel: EstimateResult['kernel'] = calibration
    ? {source: 'probe report' as const, bytesPerSocket: calibration.bytesPerSocket, detail: calibrationDetail(calibration), ...(calibration.trend ? {trend: calibration.trend} : {})}
    : {source: model.source, bytesPerSocket: model.bytesPerSocket, detail: model.parts.map((p) => `${p.name} ${p.bytes}${p.assumed ? ' (assumed)' : ''}`).join(' + ') + ' B', model}
  if (!calibration && family === 6) {
    const v4 = modelSocketKernel(host.memory.slab, host.sysctl['kernel.osrelease'], 4)
    const size = (name: string) => host.memory.slab?.[name]?.objsize ?? DEFAULT_SOCKET_CACHES[name].objsize
    kernel.ipv4 = {bytesPerSocket: v4.bytesPerSocket, objsize: {TCPv6: size('TCPv6'), TCP: size('TCP')}}
  }
  const tracking = hostTracksConnections(host)
  const counted = request.conntrack ?? tracking.tracks
  const conntrackWhy = request.conntrack === undefined ? tracking.why : `--conntrack ${request.conntrack ? 'on' : 'off'}`
  const ramBytes = request.ramBytes ?? host.memory.meminfo?.MemTotal ?? 0

  const inputFor = (n: number, bytesPerSocket = kernel.bytesPerSocket) => memoryInputForHost(host, {conns: n, role, family}, {
    bytesPerSocket,
    // A probe's kernel figure already holds the bind entries it grew; count them apart only when visible.
    bindBytesPerConn: calibration ? (calibration.bindBytesPerConn ?? 0) : undefined,
    conntrack: counted,
    // A --nat probe measured the entry; else the slab object (or 320 B) stands for it.
    conntrackEntryBytes: calibration?.conntrackBytesPerConn || undefined,
    bufferBytesPerConn: buffers,
    processBytesPerConn: runtime.serverBytesPerConn,
    clientProcessBytesPerConn: runtime.clientBytesPerConn,
    memTotalBytes: request.ramBytes,
  })
  const memory = estimateMemory(inputFor(connsPerHost))
  const range = calibration ? undefined : {low: estimateMemory(inputFor(connsPerHost, model.low)).total, high: estimateMemory(inputFor(connsPerHost, model.high)).total}
  const walkerBytes = Math.round(Object.values(floorsOf(model).walker).reduce((a, b) => a + b, 0))
  let walker: EstimateResult['walker']
  if (calibration?.walkerVisited !== undefined && walkerBytes > 0) {
    const seen = calibration.walkerVisited
    const other = estimateMemory(inputFor(connsPerHost, Math.max(0, kernel.bytesPerSocket + (seen ? -walkerBytes : walkerBytes)))).total
    walker = {visitedDuringProbe: seen, bytesPerSocket: walkerBytes, low: Math.min(memory.total, other), high: Math.max(memory.total, other)}
  }
  const maxConnsPerHost = connectionsThatFit(memory, ramBytes)
  const hostsNeeded = maxConnsPerHost > 0 ? Math.ceil(conns / maxConnsPerHost) : null

  const tcpMemCurrent = tcpMemOf(host)
  const reach = tcpMemCurrent ? tcpMemReach(tcpMemCurrent, buffers) : undefined
  const forRam = tcpMemPages(ramBytes)
  const forBuffers = tcpMemNeeded(connsPerHost * buffers, PAGE_SIZE)
  const settings: EstimateSettings = {
    ...computeNeeds({conns: connsPerHost, role}),
    tcpMem: [0, 1, 2].map((i) => Math.max(forRam[i], forBuffers[i])) as [number, number, number],
    tcpMemForRam: forRam,
    tcpMemForBuffers: forBuffers,
    tcpMemCurrent,
  }
  if (role !== 'server') {
    settings.portRange = [1024, 65_535]
    settings.sourceAddresses = sourceAddressesNeeded(connsPerHost, PORTS_MAX)
    const current = portRangeOf(host)
    if (current) settings.sourceAddressesCurrentRange = {range: current, addresses: sourceAddressesNeeded(connsPerHost, portsPerTuple(current))}
  }
  const hard = host.process.nofile?.hard
  if (typeof hard === 'number') settings.processes = {hardNofile: hard, count: processesNeeded(connsPerHost, hard)}

  const pointAt = (n: number): ChartPoint => {
    const m = estimateMemory(inputFor(n))
    const sum = (pick: (name: string) => boolean) => m.terms.filter((t) => t.perConn > 0 && pick(t.name)).reduce((a, t) => a + t.total, 0)
    return {conns: n, kernel: sum((name) => KERNEL_TERMS.has(name)), process: sum((name) => name === 'process'), fixed: m.fixed, total: m.total}
  }
  const points = request.chartPoints ?? 10
  const chart = Array.from({length: points + 1}, (_, i) => pointAt(Math.round((connsPerHost * i) / points)))
  // Past the larger of N and the most one host holds, so a chart shows both and where the RAM runs out.
  const end = Math.round(Math.max(connsPerHost, maxConnsPerHost) * 1.05)
  const counts = new Set([...Array.from({length: 21}, (_, i) => Math.round((end * i) / 20)), connsPerHost, maxConnsPerHost])
  const hostChart = [...counts].sort((a, b) => a - b).map(pointAt)

  return {
    conns,
    role,
    family,
    hosts,
    connsPerHost,
    kernel,
    runtime,
    conntrack: {counted, why: conntrackWhy, ...(calibration?.conntrackBytesPerConn ? {measuredEntryBytes: calibration.conntrackBytesPerConn} : {})},
    buffers: {messageSize, active, bytesPerConn: buffers, pressureAt: finite(reach?.pressureAt), maxAt: finite(reach?.maxAt)},
    memory,
    ...(range ? {range} : {}),
    ...(walker ? {walker} : {}),
    ram: {bytes: ramBytes, source: request.ramBytes === undefined ? 'this host' : '--ram'},
    ...(request.host.live ? {} : {savedTree: request.host.root}),
    fits: memory.total <= ramBytes,
    maxConnsPerHost,
    hostsNeeded,
    settings,
    chart,
    hostChart,
  }
}
