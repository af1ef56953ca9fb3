import os from 'node:os'
import {buildProbeReport} from '../core/probe/build-fit-report.js'
import {readProcWalker} from '../core/probe/proc-walker.js'
import {floorsOf, modelSocketKernel} from '../core/estimate/model-socket-kernel.js'
import {markOtherProbes} from './other-probes.js'
import type {IsolationChoice, ProbePlan} from '../core/probe/plan-probe.js'
import type {Shard} from '../core/probe/plan-shards.js'
import {isPush, type Protocol} from '../core/probe/protocol.js'
import {socketCacheCost} from '../core/estimate/socket-cost.js'
import {C1mError} from '../core/errors.js'
import {readMemory} from '../host/read/memory.js'
import {type HostRoot, hostRoot} from '../host/files/root.js'
import {readSysctl} from '../host/read/sysctl.js'
import {readProcessTree} from '../host/read/process-tree.js'
import {countUnaccepted} from '../host/read/accept-queue.js'
import {planClientHosts} from '../core/probe/plan-client-hosts.js'
import {type ClientHostNet, createClientHosts} from '../host/probe/client-hosts.js'
import {startClientHostPeers} from './client-host-peers.js'
import {inNetns, prepareEngine, withProtocol} from './engine.js'
import {cleanupOnExit} from './exit-cleanup.js'
import {isolate} from './isolate.js'
import {serverEndpoint, startClients, startServers, stopPeers} from './engine-processes.js'
import type {Peer} from './peer.js'
import {PhaseClock} from './phase-clock.js'
import {ramp, type RampResult} from './ramp.js'
import type {Engine, ExternalTarget, Isolation, ProbeRunReport} from '../core/probe/run-report.js'

export const LOOPBACK_SERVER = '127.0.0.1'
/** listen() backlog asked for; the kernel caps it at net.core.somaxconn. */
export const LISTEN_BACKLOG = 65_535

export interface ProbeRunOptions {
  /** Where the server is, the processes, the sockets per connection: decided once, by the command. */
  plan: ProbePlan
  conns: number
  steps: number
  engine: Engine
  hardNofile: number
  settleMs: number
  inflight: number
  openTimeoutMs: number
  progress: (line: string) => void
  /**
   * A step of the ramp starting (finished false) or done; a bar on a terminal. Without it, done
   * steps go to progress.
   */
  step?: (done: number, total: number, text: string, finished: boolean) => void
  /** Aborting ends the ramp after the current step; the report keeps the samples taken. */
  signal?: AbortSignal
  /**
   * Run in a network namespace of its own (needs root), with an established hash of ownEhash
   * buckets if given; otherwise on the host loopback, for this reason.
   */
  isolation: IsolationChoice
  /** Hold the connections this long after the ramp (0: close at once). */
  holdMs: number
  /** Echo traffic on every connection during the hold. */
  traffic?: {messageSize: number; intervalMs: number}
  /** Measure someone else's server: the bundled clients connect to it, its process tree is sampled. */
  target?: ExternalTarget
  /** Check every connection echoes at the top of the ramp (default true). */
  echo?: boolean
  /** Also echo on every connection after each step, before memory is sampled. */
  echoEachStep?: boolean
  /** What the clients speak (and the bundled servers answer): raw TCP when absent. */
  protocol?: Protocol
  /**
   * Clients on K simulated hosts (namespaces with subnets of their own), behind a masquerading
   * router with nat.
   */
  clientHosts?: {count: number; nat: boolean}
}

/**
 * Run the ramp: loopback echo servers and clients in shards, a memory sample after each step,
 * then the fit. As root it all happens in a network namespace of its own, deleted at the end
 * whatever happens (the finally below, or an exit hook when c1m is made to exit at once).
 */
export async function runProbe(options: ProbeRunOptions): Promise<ProbeRunReport> {
  return markOtherProbes(() => runProbeSignedIn(options))
}

async function runProbeSignedIn(options: ProbeRunOptions): Promise<ProbeRunReport> {
  const clock = new PhaseClock()
  const {isolation, netns} = await clock.time('startSeconds', () => isolate(options))
  let hosts: ClientHostNet | undefined
  const release = netns ? cleanupOnExit(() => {
    hosts?.removeSync()
    netns.removeSync()
  }) : () => {}
  let report: ProbeRunReport
  try {
    if (options.clientHosts && netns) {
      const {count, nat} = options.clientHosts
      hosts = await clock.time('startSeconds', () => createClientHosts(netns.name, planClientHosts(options.conns, count).addressCounts, nat))
      isolation.clientHosts = {count, nat, serverAddress: hosts.serverAddress, addresses: hosts.hosts.map((h) => h.addresses), ...(hosts.router ? {router: hosts.router} : {})}
      options.progress(`${count} client hosts in namespaces ${hosts.hosts[0].netns}..${hosts.hosts.at(-1)!.netns}${nat ? `, behind a masquerading router (${hosts.router})` : ''}, server at ${hosts.serverAddress}`)
    }
    report = await runIsolated(options, isolation, clock, hosts)
  } finally {
    await clock.time('teardownSeconds', async () => {
      await hosts?.remove()
      await netns?.remove()
    })
    release()
  }
  report.phases = clock.phases()
  return report
}

async function runIsolated(options: ProbeRunOptions, isolation: Isolation, clock: PhaseClock, hosts?: ClientHostNet): Promise<ProbeRunReport> {
  const prepared = withProtocol(await clock.time('startSeconds', () => prepareEngine(options.engine, Boolean(options.protocol?.tls))), options.protocol ?? {kind: 'tcp'})
  if (hosts && isolation.netns) {
    const plan = planClientHosts(options.conns, hosts.hosts.length)
    options.progress(`starting echo servers and load clients (${options.engine}) on ${hosts.hosts.length} client hosts`)
    const peers = await clock.time('startSeconds', () => startClientHostPeers(prepared, isolation.netns!, hosts, plan, {hardNofile: options.hardNofile, backlog: LISTEN_BACKLOG, inflight: options.inflight, openTimeoutMs: options.openTimeoutMs}))
    return measureAndClose(options, isolation, clock, peers.shards, peers.servers, peers.clients)
  }
  const {shards} = options.plan
  const programs = isolation.netns ? inNetns(prepared, isolation.netns) : prepared
  const {target} = options
  if (target) {
    options.progress(`starting ${shards.length} load client${shards.length > 1 ? 's' : ''} (${options.engine}) against ${target.host}:${target.port}, measuring process ${target.serverPid} and its children`)
  } else {
    options.progress(`starting ${shards.length} echo server${shards.length > 1 ? 's' : ''} and ${shards.length} load client${shards.length > 1 ? 's' : ''} (${options.engine})`)
  }

  const servers: Peer[] = target ? [] : await clock.time('startSeconds', () => startServers(programs, shards.map(() => `${LOOPBACK_SERVER}:0`), LISTEN_BACKLOG))
  let clients: Peer[]
  try {
    clients = await clock.time('startSeconds', () => startClients(programs, shards, {
      targets: shards.map((shard) => [target ? `${target.host}:${target.port}` : serverEndpoint(LOOPBACK_SERVER, servers[shard.index])]),
      inflight: options.inflight,
      openTimeoutMs: options.openTimeoutMs,
    }))
  } catch (error) {
    await stopPeers(servers)
    throw error
  }
  return measureAndClose(options, isolation, clock, shards, servers, clients)
}

/** Ramp, sample and check the running peers, build the report, then close every connection. */
async function measureAndClose(options: ProbeRunOptions, isolation: Isolation, clock: PhaseClock, shards: Shard[], servers: Peer[], clients: Peer[]): Promise<ProbeRunReport> {
  const {target} = options
  let report: ProbeRunReport
  try {
    const root = hostRoot('/')
    // /proc/net/sockstat counts sockets in use per namespace: read it as a server process sees it.
    const measured = await ramp(options, root, shards, servers, clients, isolation.netns ? servers[0].pid : undefined, clock)
    report = buildRunReport(options, root, shards, isolation, measured, () => readProcessTree(root, target!.serverPid).length)
    // Someone else's server may never call accept(): the clients count such connections open.
    const unaccepted = target ? countUnaccepted(root, target.serverPid, target.host, target.port) : undefined
    if (unaccepted) {
      report.unaccepted = {connections: unaccepted}
      options.progress(`${unaccepted} connections were never accepted by the server at ${target!.host}:${target!.port}`)
    }
  } catch (error) {
    await stopPeers(clients)
    await stopPeers(servers)
    throw error
  }
  // Clients first: they reset their connections, so neither end is left in TIME_WAIT.
  const closing = performance.now()
  await clock.time('closeSeconds', async () => {
    await stopPeers(clients)
    await stopPeers(servers)
  })
  report.closeSeconds = Number(((performance.now() - closing) / 1000).toFixed(3))
  options.progress(`closed every connection in ${report.closeSeconds} s`)
  return report
}

/** The report: the fit of the samples the ramp kept, and how the run went. */
function buildRunReport(options: ProbeRunOptions, root: HostRoot, shards: Shard[], isolation: Isolation, measured: RampResult, serverProcesses: () => number): ProbeRunReport {
  const {target} = options
  const {samples, stopped} = measured
  if (samples.length < 2 && options.signal?.aborted) {
    throw new C1mError('E_INTERRUPTED', 'interrupted before the probe took a sample with connections open; nothing was measured', 'run it again and let the ramp finish')
  }
  if (samples.length < 2) {
    const fix = stopped?.includes('tls handshake:')
      ? "give --ca FILE with the CA that signed the server's certificate, --servername NAME for the name it carries, or --insecure to skip the check"
      : measured.refused?.session
      ? `the server refused the ${options.protocol?.session?.app ?? ''} session (its words are quoted): check --app's options (--namespace, --auth, ...) and the URL's path`
      : measured.refused && options.protocol?.kind === 'ws'
      ? 'check that the server upgrades WebSocket requests at that path (its answer is quoted) and accepts 127.x clients'
      : measured.refused && options.protocol?.kind === 'long-poll'
      ? 'check that the server holds GET requests at that path and answers them 200 or 204 (its answer is quoted)'
      : measured.refused && options.protocol && isPush(options.protocol)
      ? `check that the server streams at that path: 200${options.protocol.kind === 'sse' ? ' with Content-Type text/event-stream' : ''} (its answer is quoted)`
      : measured.refused && options.protocol?.kind === 'mqtt'
      ? 'check the broker lets this client connect (allow_anonymous, a listener on that address; its CONNACK is quoted)'
      : measured.refused
      ? "check the server's access rules for 127.x sources (Redis: protected-mode and bind; nginx: allow/deny) and that it expects a silent TCP client"
      : target && /Connection refused/.test(stopped ?? '')
      ? `nothing listens at ${target.host}:${target.port}: start your server there, or correct --target`
      : 'run c1m doctor --role loopback to see which limit stops connections'
    throw new C1mError('E_PROBE_FAILED', `the probe took no sample with connections open: ${stopped ?? 'no step ran'}`, fix)
  }
  const memory = readMemory(root)
  const meminfo = memory.meminfo ?? {}
  const osrelease = readSysctl(root, 'kernel.osrelease')
  const walkerFloor = floorsOf(modelSocketKernel(memory.slab, osrelease.ok ? osrelease.text : undefined)).walker.proc_inode_cache ?? 0
  const report = buildProbeReport({
    engine: target ? 'external' : options.engine,
    // Both ends live on this host unless the target is elsewhere.
    socketsPerConn: options.plan.socketsPerConn,
    host: {hostname: os.hostname(), kernel: osrelease.ok ? osrelease.text : os.release(), memTotalBytes: meminfo.MemTotal ?? os.totalmem(), cpus: os.cpus().length},
    samples,
    stopped,
  })
  const slabPerConn = report.fit.slabPerConn ?? {}
  const socketCaches = socketCacheCost(slabPerConn, report.socketsPerConn)
  return {
    ...report,
    procWalker: readProcWalker(report, walkerFloor),
    ...(socketCaches ? {socketCaches} : {}),
    ...(isolation.clientHosts?.nat && slabPerConn.nf_conntrack ? {conntrack: {bytesPerConn: slabPerConn.nf_conntrack, cache: 'nf_conntrack' as const}} : {}),
    protocol: options.protocol?.kind ?? 'tcp',
    ...(measured.tls ? {tls: {...measured.tls, verified: !options.protocol?.tls?.insecure, ...(options.protocol?.tls?.bundled ? {bundled: true} : {})}} : {}),
    ...(measured.compression ? {compression: measured.compression} : {}),
    ...(measured.session ? {session: measured.session} : {}),
    requestedConns: options.conns,
    isolation,
    ...(target ? {target: {endpoint: `${target.host}:${target.port}`, serverPid: target.serverPid, serverProcesses: serverProcesses(), clientEngine: options.engine}} : {}),
    plan: {processesPerSide: shards.length, connsPerProcess: Math.max(...shards.map((s) => s.quota)), hardNofile: options.hardNofile, steps: options.steps},
    steps: measured.steps,
    ...(measured.echo ? {echo: measured.echo} : {}),
    ...(measured.hold ? {hold: measured.hold} : {}),
    ...(measured.refused ? {refused: measured.refused} : {}),
    ...(stopped ? {stopped} : {}),
  }
}
