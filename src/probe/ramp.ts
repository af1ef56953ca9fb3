import {type Shard, stepGoals} from '../core/probe/plan-shards.js'
import type {ProbeSample} from '../core/probe/fit-report.js'
import {C1mError} from '../core/errors.js'
import type {HostRoot} from '../host/files/root.js'
import {readProcessTree} from '../host/read/process-tree.js'
import {findEmptyPeers, whyPeersStopped} from './check-peers.js'
import {protocolRefusal, type Refusal} from '../core/probe/refusal.js'
import {canGoOn, describeStop, type Stop} from '../core/probe/stop.js'
import {type SessionReport, sessionOptions} from '../core/probe/session.js'
import {echoCheck, openConnections, readClientCounts} from './engine-processes.js'
import {addSettle, settleStep} from './settle.js'
import {holdConnections} from './hold.js'
import {kernelBytes} from '../core/probe/build-fit-report.js'
import {openLatency} from '../core/probe/latency.js'
import {compressionOf} from '../core/probe/protocol.js'
import type {Peer} from './peer.js'
import {PhaseClock} from './phase-clock.js'
import type {ProbeRunOptions} from './run-probe.js'
import {sampleMemory} from './sample-memory.js'
import type {HoldResult, ProbeRunReport, SettleSummary, StepRecord, TlsSession} from '../core/probe/run-report.js'
import {readSlabBytes} from '../host/read/memory.js'

/** A change in MiB with its sign: +12 MiB, -34 MiB. */
export function formatSignedMiB(bytes: number): string {
  const mib = Math.round(bytes / 1024 ** 2)
  return `${mib < 0 ? '-' : '+'}${Math.abs(mib)} MiB`
}

export interface RampResult {
  samples: ProbeSample[]
  steps: StepRecord[]
  /** Why the run ended early, when it did. */
  stop?: Stop
  /** The stop as the report words it (describeStop), for the report's "stopped". */
  stopped?: string
  echo?: ProbeRunReport['echo']
  hold?: HoldResult
  /** Connections the server refused; the ramp stops at the first step that has any. */
  refused?: Refusal
  /** Over TLS: what the handshake negotiated. */
  tls?: TlsSession
  compression?: ProbeRunReport['compression']
  /** --app: what the sessions did, read after the hold. */
  session?: SessionReport
  settle: SettleSummary
}

/**
 * Open the connections step by step and sample memory after each. A sample counts only when
 * every probe process was alive and answering around it and the run was not interrupted:
 * one taken while processes stop (Ctrl-C reaches the whole process group) would bend the fit.
 * A process that dies ends the ramp with the samples taken so far, `stop` saying why.
 */
export async function ramp(options: ProbeRunOptions, root: HostRoot, shards: Shard[], servers: Array<Peer<'server'>>, clients: Array<Peer<'client'>>, sockstatPid?: number, clock = new PhaseClock()): Promise<RampResult> {
  const {target, signal} = options
  // Each --server-pid's tree apart (a proxy and its backends); the bundled servers as one.
  const serverTrees = () => (target ? target.serverPids.map((pid) => readProcessTree(root, pid)) : [servers.map((p) => p.pid)])
  const peers = [...servers, ...clients]
  const samples: ProbeSample[] = []
  const steps: StepRecord[] = []
  /** Sample now and keep the sample if it stands; otherwise say why not. */
  const keepSample = (conns: number, established: number) => clock.time('sampleSeconds', () => sampleOnce(conns, established))
  const sampleOnce = async (conns: number, established: number): Promise<Stop | undefined> => {
    if (signal?.aborted) return {kind: 'interrupted'}
    const sample = sampleMemory(root, conns, established, serverTrees(), clients.map((p) => p.pid), sockstatPid)
    const empty = findEmptyPeers(root, peers)
    const why = (await whyPeersStopped(peers, signal)) ?? (empty.length > 0 ? `${empty[0].name} was exiting when memory was sampled, PID ${empty[0].pid}` : undefined)
    if (!why) samples.push(sample)
    return failedOrNot(why)
  }
  /** A probe process failed to answer: why the run cannot go on. */
  const whyFailed = async (error: unknown): Promise<Stop> => {
    if (!(error instanceof C1mError)) throw error
    return {kind: 'failed', why: (await whyPeersStopped(peers, signal)) ?? error.message}
  }
  const settle: SettleSummary = {seconds: 0, boundMs: options.settleMs, counters: 0, bound: 0, sleep: 0}
  /** Wait for the counters to settle (settle.ts), from the slab of the last sample. */
  const settleNow = async (established: number) => {
    const slabBefore = samples.at(-1)?.meminfo.Slab ?? readSlabBytes(root) ?? 0
    const settled = await clock.time('settleSeconds', () => settleStep(root, servers, established, options.settleMs, slabBefore))
    addSettle(settle, settled)
    return settled
  }
  await settleNow(0)
  let stop = await keepSample(0, 0)
  let held = 0
  let refused: Refusal | undefined
  let tls: TlsSession | undefined
  let deflateAccepted = 0
  let deflateResponse = ''
  const reportStep = (step: number, text: string) => (options.step ? options.step(step, options.steps, text, true) : options.progress(`step ${step}/${options.steps}: ${text}`))

  for (let step = 1; !stop && step <= options.steps; step++) {
    if (signal?.aborted) {
      stop = {kind: 'interrupted'}
      break
    }
    const goals = stepGoals(shards, step, options.steps)
    const conns = goals.reduce((a, b) => a + b, 0)
    options.step?.(step - 1, options.steps, `opening ${conns} connections (${held} open)`, false)
    const started = performance.now()
    let opened: Awaited<ReturnType<typeof openConnections>>
    let established: number
    let seconds: number
    let settled: Awaited<ReturnType<typeof settleNow>>
    try {
      opened = await clock.time('rampSeconds', () => openConnections(clients, goals, options.openTimeoutMs + 30_000))
      seconds = (performance.now() - started) / 1000
      settled = await settleNow(opened.established)
      established = settled.established
      // A connection counts only while the server keeps it quietly: ask what it refused meanwhile.
      const counts = await clock.time('settleSeconds', () => readClientCounts(clients))
      deflateAccepted = counts.deflateAccepted
      deflateResponse = counts.deflateResponse
      const why = protocolRefusal(counts.lastError)
      if (counts.refused > 0) refused = {connections: counts.refused, firstBytes: counts.firstBytes, attempts: counts.attempts, ...(why ? {why} : {}), ...(counts.sessions.error ? {session: counts.sessions.error} : {})}
      // Someone else's server cannot be asked: the clients' count after settling is what is held.
      if (servers.length === 0) established = counts.established
    } catch (error) {
      stop = await whyFailed(error)
      break
    }
    const openMs = openLatency(opened.histogram, opened.maxMs)
    const record: StepRecord = {step, conns, established: opened.established, seconds: Number(seconds.toFixed(3)), connectsPerSecond: Math.round((opened.established - held) / Math.max(seconds, 1e-3)), ...(openMs ? {openMs} : {}), settleSeconds: settled.seconds, settledOn: settled.on}
    tls ??= opened.tls
    steps.push(record)
    held = opened.established
    if (refused) {
      stop = {kind: 'refused', refusal: refused, ...(options.protocol ? {protocol: options.protocol.kind} : {})}
      break
    }
    if (!opened.complete) {
      // The count reached is still a point on the line when it is more than the last one;
      // either way, a step can fall short because its processes are stopping (SIGTERM to the group).
      const why = opened.established > samples.at(-1)!.conns ? await keepSample(opened.established, established) : failedOrNot(await whyPeersStopped(peers, signal))
      stop = why ?? {kind: 'short', step, opened: opened.established, wanted: conns, error: opened.error}
      break
    }
    if (options.echoEachStep) {
      // Sample connections that have exchanged a message: some servers allocate only then.
      const echo = await clock.time('echoSeconds', () => echoCheck(clients, 60_000 + conns))
      if (echo.echoed < echo.sent) {
        stop = {kind: 'echo', step, echo}
        break
      }
      const after = await settleNow(established)
      record.settleSeconds = Number((record.settleSeconds! + after.seconds).toFixed(3))
      if (after.on !== 'counters') record.settledOn = after.on
    }
    stop = await keepSample(conns, established)
    if (stop) break
    const sample = samples.at(-1)!
    const kernelNow = (sample.meminfo.Slab ?? 0) - (samples[0].meminfo.Slab ?? 0)
    reportStep(step, `${conns} connections in ${record.seconds} s (${record.connectsPerSecond}/s), settled in ${record.settleSeconds} s${record.settledOn === 'bound' ? ' (at the --settle bound)' : ''}, slab ${formatSignedMiB(kernelNow)}, servers ${Math.round(sample.server.rss / 1024 ** 2)} MiB, clients ${Math.round(sample.client.rss / 1024 ** 2)} MiB RSS`)
  }

  const broken = !canGoOn(stop)
  const result: RampResult = {samples, steps, settle, ...(refused ? {refused} : {}), ...(tls ? {tls} : {}), ...withCompression(compressionOf(options.protocol, deflateAccepted, deflateResponse))}
  // Connections the server has closed meanwhile get no echo check and no hold: with none left, neither runs.
  let open = held > 0 && !broken && !signal?.aborted ? await stillOpen(clients, held) : 0
  if (held > 0 && open === 0 && !broken) options.progress('the server closed every connection: nothing to check or hold')
  if (open > 0 && options.echo !== false && !broken && !signal?.aborted) {
    const echoStart = performance.now()
    try {
      result.echo = {...(await clock.time('echoSeconds', () => echoCheck(clients, 60_000 + held))), seconds: 0}
      result.echo.seconds = Number(((performance.now() - echoStart) / 1000).toFixed(3))
      const compressed = result.echo.compressed ? ` (${result.echo.compressed} answered compressed, not compared)` : ''
      options.progress(`echo check: ${result.echo.echoed} of ${result.echo.sent} connections echoed byte for byte${compressed} in ${result.echo.seconds} s`)
      // Not one echoed (a server of another protocol, closing them as it answers): nothing to hold.
      if (result.echo.echoed === 0) open = 0
      else if (result.echo.echoed < result.echo.sent) open = await stillOpen(clients, held)
    } catch (error) {
      stop = await whyFailed(error)
      delete result.echo
    }
  }
  if (options.holdMs > 0 && held > 0 && open === 0 && !broken) options.progress('no connection is left open and echoing: the hold is skipped')
  if (options.holdMs > 0 && open > 0 && !stop && !signal?.aborted) {
    try {
      result.hold = await clock.time('holdSeconds', () => holdConnections({root, servers, clients, serverTrees, conns: held, holdMs: options.holdMs, traffic: options.traffic, fanout: options.fanout, echo: options.echo !== false, sockstatPid, soakBaseline: {serverRss: samples[0].server.rss, kernelBytes: kernelBytes(samples[0])}, progress: options.progress, signal, countMessages: options.protocol !== undefined && (options.protocol.kind !== 'tcp' || options.protocol.session !== undefined)}))
      if (result.hold.interrupted) stop = {kind: 'interrupted'}
    } catch (error) {
      stop = await whyFailed(error)
    }
  }
  const session = options.protocol?.session
  const counts = session ? await readClientCounts(clients).catch(() => undefined) : undefined
  if (session && counts) {
    const {error, ...sessions} = counts.sessions
    result.session = {app: session.app, options: sessionOptions(session), ...sessions, ...(error ? {error} : {})}
  }
  return stop ? {...result, stop, stopped: describeStop(stop)} : result
}

/** A process stopped (why says which), or none did. */
function failedOrNot(why: string | undefined): Stop | undefined {
  return why === undefined ? undefined : {kind: 'failed', why}
}

/** Connections the clients still hold; when they cannot be asked, the count opened (the echo says more). */
async function stillOpen(clients: Array<Peer<'client'>>, opened: number): Promise<number> {
  try {
    return (await readClientCounts(clients)).established
  } catch {
    return opened
  }
}

const withCompression = (compression: ReturnType<typeof compressionOf>) => (compression ? {compression} : {})
