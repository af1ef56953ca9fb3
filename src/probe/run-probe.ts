import {markOtherProbes} from './other-probes.js'
import type {IsolationChoice, ProbePlan} from '../core/probe/plan-probe.js'
import type {Shard} from '../core/probe/plan-shards.js'
import type {Protocol} from '../core/probe/protocol.js'
import type {FanoutSource} from '../core/probe/fanout.js'
import {assembleRunReport, checkMeasured} from '../core/probe/assemble-report.js'
import {hostRoot} from '../host/files/root.js'
import {countUnaccepted} from '../host/read/accept-queue.js'
import {planClientHosts} from '../core/probe/plan-client-hosts.js'
import {type ClientHostNet, createClientHosts} from '../host/probe/client-hosts.js'
import {countConntrackEntries} from '../host/probe/conntrack-entries.js'
import {startClientHostPeers} from './client-host-peers.js'
import {inNetns, prepareEngine, withProtocol} from './engine.js'
import {cleanupOnExit} from './exit-cleanup.js'
import {isolate} from './isolate.js'
import {closeAll, serverEndpoint, startClients, startServers, stopPeers} from './engine-processes.js'
import type {Peer} from './peer.js'
import {type ServerCloseReply, total} from './wire.js'
import {readNetnsTcp} from '../host/netns.js'
import {PhaseClock} from './phase-clock.js'
import type {PhaseName} from '../core/probe/phases.js'
import {ramp} from './ramp.js'
import {readProbeHost} from './read-probe-host.js'
import {countServerSockets, readServerTrees} from './server-trees.js'
import type {Engine, ExternalTarget, Isolation, ProbeRunReport, TrafficShape} from '../core/probe/run-report.js'
import {PROBE_IPV6_SERVER} from '../core/ipv6-prefix.js'
import {formatEndpoint} from '../core/units.js'

export const LOOPBACK_SERVER = '127.0.0.1'
/** Where the bundled servers listen: 127.0.0.1, or over IPv6 the first address of the namespace's /64. */
const serverHost = (family?: 4 | 6) => (family === 6 ? PROBE_IPV6_SERVER : LOOPBACK_SERVER)
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
  /** Told each phase as it begins and undefined as it ends (the command words a Ctrl-C by it). */
  phase?: (phase: PhaseName | undefined) => void
  /**
   * Run in a network namespace of its own (needs root), with an established hash of ownEhash
   * buckets if given; otherwise on the host loopback, for this reason.
   */
  isolation: IsolationChoice
  /** Hold the connections this long after the ramp (0: close at once). */
  holdMs: number
  /** Echo traffic on every connection during the hold. */
  traffic?: TrafficShape
  /** Fan-out during the hold: the bundled servers broadcast, or a client publishes through the target. */
  fanout?: FanoutSource
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
  /** The bundled probe over IPv6 (6) in its namespace; a target's family follows its address. */
  family?: 4 | 6
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
  const clock = new PhaseClock(options.phase)
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
      const family = options.family ?? 4
      hosts = await clock.time('startSeconds', () => createClientHosts(netns.name, planClientHosts(options.conns, count, family).addressCounts, nat, family))
      const prefixes = hosts.hosts.map((h) => h.prefix)
      isolation.clientHosts = {count, nat, serverAddress: hosts.serverAddress, addresses: hosts.hosts.map((h) => h.addresses), prefixes, ...(hosts.router ? {router: hosts.router} : {})}
      const masquerade = nat ? `, behind a masquerading router (${hosts.router}${family === 6 ? ', NAT66' : ''})` : ''
      options.progress(`${count} client hosts in namespaces ${hosts.hosts[0].netns}..${hosts.hosts.at(-1)!.netns} (IPv${family}, ${prefixes[0]}${count > 1 ? `..${prefixes.at(-1)}` : ''})${masquerade}, server at ${hosts.serverAddress}`)
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
    const plan = planClientHosts(options.conns, hosts.hosts.length, hosts.family)
    options.progress(`starting echo servers and load clients (${options.engine}) on ${hosts.hosts.length} client hosts`)
    const peers = await clock.time('startSeconds', () => startClientHostPeers(prepared, isolation.netns!, hosts, plan, {hardNofile: options.hardNofile, backlog: LISTEN_BACKLOG, inflight: options.inflight, openTimeoutMs: options.openTimeoutMs}))
    return measureAndClose(options, isolation, clock, peers.shards, peers.servers, peers.clients)
  }
  const {shards} = options.plan
  const programs = isolation.netns ? inNetns(prepared, isolation.netns) : prepared
  const {target} = options
  if (target) {
    options.progress(`starting ${shards.length} load client${shards.length > 1 ? 's' : ''} (${options.engine}) against ${formatEndpoint(target.host, target.port)}, measuring process${target.serverPids.length > 1 ? 'es' : ''} ${target.serverPids.join(', ')} and ${target.serverPids.length > 1 ? 'their' : 'its'} children`)
  } else {
    options.progress(`starting ${shards.length} echo server${shards.length > 1 ? 's' : ''} and ${shards.length} load client${shards.length > 1 ? 's' : ''} (${options.engine})`)
  }

  const servers: Array<Peer<'server'>> = target ? [] : await clock.time('startSeconds', () => startServers(programs, shards.map(() => formatEndpoint(serverHost(options.family), 0)), LISTEN_BACKLOG))
  let clients: Array<Peer<'client'>>
  try {
    clients = await clock.time('startSeconds', () => startClients(programs, shards, {
      endpoints: shards.map((shard) => [target ? formatEndpoint(target.host, target.port) : serverEndpoint(serverHost(options.family), servers[shard.index])]),
      inflight: options.inflight,
      openTimeoutMs: options.openTimeoutMs,
      freshSources: Boolean(isolation.netns) && !target,
    }))
  } catch (error) {
    await stopPeers(servers)
    throw error
  }
  return measureAndClose(options, isolation, clock, shards, servers, clients)
}

/** Ramp, sample and check the running peers, build the report, then close every connection. */
async function measureAndClose(options: ProbeRunOptions, isolation: Isolation, clock: PhaseClock, shards: Shard[], servers: Array<Peer<'server'>>, clients: Array<Peer<'client'>>): Promise<ProbeRunReport> {
  const {target} = options
  let report: ProbeRunReport
  try {
    const root = hostRoot('/')
    // /proc/net/sockstat counts sockets in use per namespace: read it as a server process sees it.
    // The servers' sockets are counted from /proc/PID/fd before and after the ramp, not during it:
    // reading the descriptors gives each socket a proc inode, which the samples would count.
    const socketsBefore = target ? countServerSockets(root, target.serverPids) : []
    const measured = await ramp(options, root, shards, servers, clients, isolation.netns ? servers[0].pid : undefined, clock)
    checkMeasured(measured, options.signal?.aborted === true, options.protocol, target)
    const trees = target ? readServerTrees(root, target.serverPids, socketsBefore) : undefined
    // --nat: the router's own table, by family, while every connection is still open.
    const router = isolation.clientHosts?.router
    const conntrackEntries = router ? await clock.time('sampleSeconds', () => countConntrackEntries(router)) : undefined
    report = assembleRunReport({
      conns: options.conns,
      steps: options.steps,
      engine: options.engine,
      hardNofile: options.hardNofile,
      shards,
      isolation,
      protocol: options.protocol,
      family: options.family,
      // Both ends live on this host unless the target is elsewhere.
      socketsPerConn: options.plan.socketsPerConn,
      target,
      reading: readProbeHost(root),
      ...(trees ? {serverTrees: trees, socketConns: measured.hold?.clientOpen ?? measured.samples.at(-1)!.established} : {}),
      measured,
      ...(conntrackEntries ? {conntrackEntries} : {}),
    })
    const batch = clients[0]?.ready.batch ?? 0
    if (batch > 0 && clients.every((c) => c.ready.batch === batch)) report.connectBatch = batch
    // Someone else's server may never call accept(): the clients count such connections open.
    const unaccepted = target ? countUnaccepted(root, target.serverPid, target.host, target.port) : undefined
    if (unaccepted) {
      report.unaccepted = {connections: unaccepted}
      options.progress(`${unaccepted} connections were never accepted by the server at ${formatEndpoint(target!.host, target!.port)}`)
    }
  } catch (error) {
    await stopPeers(clients)
    await stopPeers(servers)
    throw error
  }
  // Against c1m's own servers every process detaches, the servers reset every connection, and the
  // clients close what is reset (closeAll); against a target the clients reset theirs. Each
  // process answers `close` and stays: their exits (the kernel freeing what they held, and this
  // process reaping them) are teardown, as bench/floor.c's are not in its close.
  const closing = performance.now()
  const last = await clock.time('closeSeconds', () => closeAll(clients, servers))
  report.closeSeconds = Number(((performance.now() - closing) / 1000).toFixed(3))
  await clock.time('teardownSeconds', () => Promise.all([stopPeers(clients), stopPeers(servers)]))
  report.close = {...closedCounts(last), ...(isolation.netns ? {left: await readNetnsTcp(isolation.netns)} : {})}
  const left = report.close.left ? `; the namespace holds ${report.close.left.inuse} TCP sockets, ${report.close.left.tw} in TIME_WAIT` : ''
  options.progress(`closed every connection in ${report.closeSeconds} s${left}`)
  return report
}

/** The servers' last counts, when every one answered with its own. */
function closedCounts(last: Array<ServerCloseReply | undefined>): {accepted?: number; closed?: number} {
  if (last.length === 0 || last.some((count) => count === undefined)) return {}
  const counts = last as ServerCloseReply[]
  return {accepted: total(counts, 'accepted'), closed: total(counts, 'closed')}
}
