import {Flags} from '@oclif/core'

import {C1mCommand} from '../cli/base.js'
import * as help from '../help/probe.js'
import {bundledProtocolFlag, connsFlag, engineFlag, familyFlag, outFlag, protocolFlags, sessionFlags, trafficPaceFlags} from '../cli/flags.js'
import {formatEndpoint, parseFamily} from '../core/units.js'
import {resolveHost} from '../host/probe/resolve-host.js'
import {type HttpMode, parseTarget} from '../core/probe/protocol.js'
import {chooseIsolation, planProbe} from '../core/probe/plan-probe.js'
import {MAX_CLIENT_HOSTS} from '../core/probe/plan-client-hosts.js'
import {probeOutcome} from '../core/probe/outcome.js'
import {describeFailure} from '../core/probe/failure-hint.js'
import {C1mError, EXIT_CODES} from '../core/errors.js'
import {resolveOutFiles, writeOutputFile} from '../host/files/output-file.js'
import {probeReportDir, saveProbeReport} from '../host/files/probe-reports.js'
import {readProcessTree} from '../host/read/process-tree.js'
import {checkServerTrees} from '../core/probe/server-trees.js'
import {ehashEntriesFor, restoreChildEhash} from '../host/probe/child-ehash.js'
import {removeStaleProbeNetns} from '../host/netns.js'
import {hostRoot} from '../host/files/root.js'
import {preflightProbe} from '../probe/preflight.js'
import {progress, progressStep} from '../probe/progress.js'
import {runProbe} from '../probe/run-probe.js'
import {abortOnSignals} from '../probe/wait.js'
import {renderProbeHtml} from '../reports/probe-html.js'
import {renderProbeReport} from '../reports/probe-text.js'
import type {MergedClients} from '../core/probe/merge-clients.js'
import type {Protocol} from '../core/probe/protocol.js'
import {resolveProbeRequest} from '../core/probe/probe-request.js'
import {checkCaFile} from '../host/probe/tls-files.js'
import type {ProbeRunReport} from '../core/probe/run-report.js'
import {describeInterrupt, type PhaseName} from '../core/probe/phases.js'
import {hasOpenSsl, withInflate} from '../probe/engine.js'
import {readHardNofile} from '../host/read/limits.js'

export default class Probe extends C1mCommand {
  static override description = help.description

  static override examples = help.examples

  static override usage = help.usage

  static override flags = {
    conns: connsFlag({description: 'connections to reach (1e6, 1M, 250k)', default: 100_000}),
    engine: engineFlag({description: 'echo server and client: native (C, epoll) or node'}),
    steps: Flags.integer({description: 'steps of the ramp; memory is sampled after each', default: 5, min: 2, max: 100, helpValue: 'K'}),
    out: outFlag('write the report to FILE: .json for the JSON report (c1m.probe/1, what --calibration reads), .html for a self-contained page of charts; give it twice for both'),
    html: Flags.string({description: 'the same as --out FILE.html: a self-contained HTML page of charts', helpValue: 'FILE'}),
    settle: Flags.string({description: 'the longest wait after each step, once the servers accepted every connection, for the slab to stop growing before sampling', default: '500ms', helpValue: 'DURATION'}),
    inflight: Flags.integer({description: 'connects in flight per client process', default: 256, min: 1, max: 65_535, helpValue: 'N'}),
    'open-timeout': Flags.string({description: 'longest a step may take to open its connections', default: '120s', helpValue: 'DURATION'}),
    hold: Flags.string({description: 'after the ramp, hold the connections this long (30s, 5m, 2h, 1d), then check every one is still open and echoes; longer than a minute it is a soak: memory per connection every 5 s and its growth per hour', default: '0', helpValue: 'DURATION'}),
    'message-size': Flags.string({description: 'during --hold, send this many bytes (1 to 64KiB) on every connection each --interval (in a WebSocket text frame, or an MQTT PUBLISH to its own topic), measure TCP buffer memory and each echo\'s latency from when it was due (p50 to p99.9, max, lost)', helpValue: 'SIZE'}),
    ...trafficPaceFlags,
    'broadcast-every': Flags.string({description: 'during --hold, the bundled server sends every connection one message this often (a WebSocket text frame, an SSE event or a stream chunk: --protocol ws, wss, sse or stream); each broadcast\'s delivery is timed: delivered of sent, first and last receipt, p50/p99/max, TCP buffer memory at its peak', helpValue: 'DURATION'}),
    'broadcast-size': Flags.string({description: 'bytes in each --broadcast-every message (48 bytes to 64KiB)', default: '64', helpValue: 'SIZE'}),
    publish: Flags.string({description: 'with --target and --hold: one connection sends TEXT (with a c1m-fanout token and timestamp before it) every --publish-every through your server: an MQTT PUBLISH to the --mqtt-subscribe topic, a NATS PUB to --subject (--app nats), a STOMP SEND to --destination (--app stomp), a Socket.IO event (--app socketio, --event) or a Phoenix push on --topic (--app phoenix, --event), or a WebSocket text frame for a server that relays; every connection that receives it times it', helpValue: 'TEXT'}),
    'publish-every': Flags.string({description: 'how often --publish sends', default: '1s', helpValue: 'DURATION'}),
    target: Flags.string({char: 't', description: 'measure your own server instead of the bundled one (with --server-pid): HOST:PORT (IPv4, [IPv6] or a name, resolved once) or tcp:// (raw TCP), ws://HOST:PORT/PATH (WebSocket), http://HOST:PORT/PATH with --http, mqtt://HOST:PORT; tls://, wss://, https://, mqtts:// for the same over TLS', dependsOn: ['server-pid'], helpValue: 'URL'}),
    protocol: bundledProtocolFlag({description: "what the bundled server and clients speak (native engine): tcp (raw), ws (WebSocket handshake and frames), sse (Server-Sent Events), stream (a chunked response), tls or wss (TCP or WebSocket over TLS, the server's certificate made for the run); with --target its scheme decides"}),
    'server-pid': Flags.integer({description: 'with --target: the PID of that server; it and its child processes are measured (repeat it for a proxy and its backends: each tree is reported on its own and summed)', dependsOn: ['target'], min: 1, multiple: true, helpValue: 'PID'}),
    'echo-each-step': Flags.boolean({description: 'run the echo check after every step, before memory is sampled, so the figure is for connections that have exchanged a message (a WebSocket server with permessage-deflate makes its compressor only then)', default: false}),
    echo: Flags.boolean({description: 'check that every connection echoes byte for byte after the ramp and after --hold (--no-echo: for a server that does not echo; then not one byte is sent to it)', default: true, allowNo: true}),
    'own-ehash': Flags.boolean({description: 'as root, give the namespace an established hash of its own sized for the run (sets the host-wide net.ipv4.tcp_child_ehash_entries while creating it, restored at once)', default: false}),
    netns: Flags.boolean({description: 'as root, run in a network namespace of its own (deleted afterwards); --no-netns: on the host loopback with the host limits', default: true, allowNo: true}),
    'client-hosts': Flags.integer({description: 'as root, put the clients on K simulated hosts: namespaces with subnets of their own (10.201.K.0/24; with --family 6 the /64 fd00:c1:K::/64), linked to the server, which sees their addresses through a route', min: 1, max: MAX_CLIENT_HOSTS, helpValue: 'K'}),
    merge: Flags.string({
      description: 'add up the `c1m client --json` results of several client hosts (one file each, from --shard I/K) into one run; starts nothing',
      helpValue: 'FILE',
      multiple: true,
      exclusive: ['target', 'server-pid', 'client-hosts', 'hold', 'html', 'message-size', 'own-ehash'],
    }),
    ...protocolFlags,
    family: familyFlag,
    ...sessionFlags,
    nat: Flags.boolean({description: 'with --client-hosts: the clients reach the server through a router namespace that masquerades them (NAT66 with --family 6), so conntrack holds an entry per connection; the report gives its bytes per connection and the router\'s entries by family', dependsOn: ['client-hosts']}),
  }

  async run(): Promise<ProbeRunReport | MergedClients> {
    const {flags} = await this.parse(Probe)
    // A host name is resolved once, here: the run connects to the address, and the report names both.
    const written = flags.target && !flags.merge ? parseTarget(flags.target, '127.0.0.1:8080', flags.http as HttpMode | undefined) : undefined
    const resolved = written ? await resolveHost(written.host, parseFamily(flags.family)) : undefined
    if (resolved?.name) this.note(`${resolved.name} resolved to ${resolved.address}: the run connects to ${formatEndpoint(resolved.address, written!.port)}`)
    const request = resolveProbeRequest(flags, {root: process.getuid?.() === 0, nativeTls: hasOpenSsl(), resolved})
    if (request instanceof C1mError) throw request
    if (request.kind === 'merge') return this.merge(request.files, flags.out)
    const {conns, target, engine} = request
    const {json: out, html} = resolveOutFiles(flags.out, flags.html)
    checkCaFile(request.protocol.tls?.ca)
    for (const note of request.notes) this.note(note)
    const protocol = withInflate(engine, request.protocol, flags['ws-deflate'])
    const root = hostRoot('/')
    if (target) checkServerTrees(target.serverPids.map((pid) => ({pid, tree: readProcessTree(root, pid)})))
    const hardNofile = readHardNofile(root)
    const {family} = request
    const plan = planProbe({conns, hardNofile, target, family})
    preflightProbe(root, {conns, engine, processes: plan.shards.length * (target ? 1 : 2), socketsPerConn: plan.socketsPerConn})

    // A c1m killed with SIGKILL leaves its namespace: delete those whose owner is gone (root only can).
    if (process.getuid?.() === 0) {
      for (const stale of await removeStaleProbeNetns()) this.note(`removed stale namespace ${stale.name} left by PID ${stale.pid}`)
      const ehash = await restoreChildEhash().catch((error: Error) => this.note(`could not check net.ipv4.tcp_child_ehash_entries: ${error.message}`))
      if (ehash) this.note(`put net.ipv4.tcp_child_ehash_entries back to ${ehash.restored}: PID ${ehash.pid} set it to ${ehash.was} and was killed`)
    }
    let report: ProbeRunReport
    let phase: PhaseName | undefined
    const stop = abortOnSignals((name) => progress(describeInterrupt(name, phase)))
    try {
      const isolation = chooseIsolation({target: Boolean(target), netns: request.netns, root: process.getuid?.() === 0, ownEhash: request.ownEhash ? ehashEntriesFor(2 * conns) : undefined})
      const {steps, settleMs, inflight, openTimeoutMs, holdMs, traffic, fanout, echo, echoEachStep, clientHosts} = request
      report = await runProbe({plan, conns, steps, engine, hardNofile, settleMs, inflight, openTimeoutMs, progress, step: progressStep, signal: stop.signal, phase: (now) => (phase = now), isolation, holdMs, traffic, fanout, target, echo, echoEachStep, clientHosts, protocol, family})
    } finally {
      stop.release()
    }

    if (out) writeOutputFile(out, JSON.stringify(this.stamp(report), null, 2) + '\n', '--out')
    if (html) writeOutputFile(html, renderProbeHtml({...report, version: this.config.version} as ProbeRunReport, {version: this.config.version}), flags.html ? '--html' : '--out')
    const outcome = probeOutcome(report)
    // Only a clean measurement calibrates estimate: no early stop, no failed echo, no fit problem.
    const saved = outcome.code || (report.fit.problems ?? []).length > 0 ? undefined : keepForEstimate(report, (message) => this.note(message))
    if (outcome.code) process.exitCode = EXIT_CODES[outcome.code]
    // A run that measured but failed ends in one error line after its report; an interruption is a note.
    const failed = outcome.code === 'E_PROBE_FAILED' || outcome.code === 'E_NOT_MEASURED'
    if (!failed) for (const note of outcome.notes) this.note(note)
    if (!this.jsonEnabled()) {
      this.log(renderProbeReport(report))
      if (out) this.log(`report written to ${out}`)
      if (html) this.log(`chart written to ${html}`)
      if (saved) this.log(`kept for c1m estimate: ${saved}`)
    }
    if (failed) this.failWith(outcome.code === 'E_NOT_MEASURED' ? notMeasured(outcome.notes) : probeFailure(report, outcome.notes, protocol))
    return report
  }

  /**
   * `--merge`: the client hosts' results as one run; exit 10 when the whole did not open or echo,
   * or a shard is missing.
   */
  private async merge(files: string[], outs?: string[]): Promise<MergedClients> {
    const {json: out} = resolveOutFiles(outs)
    const [{readClientResults}, {mergeClientResults}, {renderMergedClients}] = await Promise.all([
      import('../host/files/client-results.js'),
      import('../core/probe/merge-clients.js'),
      import('../reports/client-merge-text.js'),
    ])
    const merged = mergeClientResults(readClientResults(files))
    if (!merged.complete) process.exitCode = EXIT_CODES.E_PROBE_FAILED
    if (out) writeOutputFile(out, JSON.stringify(this.stamp(merged), null, 2) + '\n', '--out')
    if (!this.jsonEnabled()) this.log(renderMergedClients(merged))
    return merged
  }
}

/** Save a copy where `c1m estimate` looks for the newest report; a failure is a warning, not an error. */
function keepForEstimate(report: ProbeRunReport, warn: (message: string) => void): string | undefined {
  const dir = probeReportDir()
  if (!dir) return undefined
  try {
    return saveProbeReport(report, dir)
  } catch (error) {
    warn(`could not keep a copy in ${dir} for c1m estimate: ${(error as Error).message}`)
    return undefined
  }
}

/** The one error of a probe that held its connections but measured nothing that can be used. */
function notMeasured(notes: string[]): C1mError {
  return new C1mError('E_NOT_MEASURED', notes.join('; '), 'nothing was kept for c1m estimate; run it again with no other probe running, on a quiet host, with enough connections for a fit (--conns 20k or more)')
}

/** The one error of a probe that measured but fell short: what happened, and the hint that fits its cause. */
function probeFailure(report: ProbeRunReport, notes: string[], protocol: Protocol): C1mError {
  const echo = report.echo ?? report.hold?.echo
  const closes = report.hold?.serverClosed?.closeCodes ?? {}
  const {message, suggestion} = describeFailure({
    target: report.target?.endpoint ?? 'the bundled server',
    protocol: protocol.kind,
    path: 'path' in protocol ? protocol.path : undefined,
    what: notes.join('; '),
    firstBytes: echo?.firstBytes ?? '',
    closeCodes: new Map(Object.entries(closes).map(([code, n]) => [Number(code), n])),
    allClosed: echo !== undefined && echo.sent > 0 && (echo.closed ?? 0) >= echo.sent,
  })
  return new C1mError('E_PROBE_FAILED', message, suggestion)
}
