import {Flags} from '@oclif/core'

import {C1mCommand} from '../cli/base.js'
import {connsFlag, protocolFlags, outFlag, sessionFlags} from '../cli/flags.js'
import {chooseIsolation, planProbe} from '../core/probe/plan-probe.js'
import {MAX_CLIENT_HOSTS} from '../core/probe/plan-client-hosts.js'
import {probeOutcome} from '../core/probe/outcome.js'
import {describeFailure} from '../core/probe/failure-hint.js'
import {DURATION_FLAGS, parseBoundedDuration} from '../core/duration.js'
import {C1mError, EXIT_CODES, usageError} from '../core/errors.js'
import {resolveOutFiles, writeOutputFile} from '../host/files/output-file.js'
import {probeReportDir, saveProbeReport} from '../host/files/probe-reports.js'
import {readProcessTree} from '../host/read/process-tree.js'
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
import {parseSize} from '../core/units.js'
import {BUNDLED_PROTOCOLS, type BundledProtocol, bundledProtocol, type HttpMode, isPush, nodeEngineRefuses, parseTarget, type Protocol, withProtocolFlags} from '../core/probe/protocol.js'
import {checkCaFile} from '../host/probe/tls-files.js'
import {withSession} from '../core/probe/session.js'
import {bundledServerApp} from '../core/probe/server-app.js'
import {type Engine, ENGINES, type ProbeRunReport} from '../core/probe/run-report.js'
import {engineForTls, withInflate} from '../probe/engine.js'
import {readHardNofile} from '../host/read/limits.js'

export default class Probe extends C1mCommand {
  static override description = `Measure what connections cost on this host: ramp real loopback connections through the bundled epoll echo server and client, sample kernel and process memory at each step, and fit memory = base + N x per-connection.

Connections are split over as many server and client processes as the per-process open-file limit requires; each client binds explicit 127.x source addresses and ports. Run as root, it works in a network namespace of its own (lo up, net.core.somaxconn and net.ipv4.ip_local_port_range set there) and deletes it at the end, also after Ctrl-C or SIGTERM (and deletes those a killed c1m left); if it cannot make one it fails (exit 9) rather than use the host loopback unasked. Not root, or with --no-netns, it uses the host loopback and the host limits, and says so. Every connection is reset at the end, so none is left in TIME_WAIT. The report (--out) calibrates \`c1m estimate --calibration FILE\`.

Exit 10 when the ramp stopped short, a process died, or connections did not echo or were not accepted; exit 13 when the connections were held but the kernel figure is not a measurement (another probe ran too, or the fit is poor: too few connections, a busy host); the report holds what was measured either way. A finished run also keeps a copy of its report in $C1M_PROBE_DIR (default ~/.local/state/c1m/probes; off turns this off), where \`c1m estimate\` finds the newest.`

  static override examples = [
    {description: 'Measure 100,000 connections in 5 steps with the native C engine', command: '<%= config.bin %> <%= command.id %> --conns 100k'},
    {description: 'A million connections, saved for estimate, with a chart (the extension picks the format)', command: '<%= config.bin %> <%= command.id %> --conns 1M --steps 10 --out probe-1m.json --out probe-1m.html'},
    {description: 'Hold 200k connections for a minute with 64 bytes each way on each every second; TCP buffer memory under load', command: '<%= config.bin %> <%= command.id %> --conns 200k --hold 60s --message-size 64 --interval 1s'},
    {description: 'What your own server (PID 4242, listening on 127.0.0.1:8080) costs per connection', command: '<%= config.bin %> <%= command.id %> --target 127.0.0.1:8080 --server-pid 4242 --conns 50k --no-echo'},
    {description: '200,000 connections from 8 simulated client hosts behind NAT: what conntrack costs per connection (root)', command: '<%= config.bin %> <%= command.id %> --conns 200k --client-hosts 8 --nat'},
    {description: 'One run from the results of 8 client hosts (each ran `c1m client --shard I/8 --json > hostI.json`)', command: '<%= config.bin %> <%= command.id %> --merge host1.json host2.json host3.json host4.json host5.json host6.json host7.json host8.json'},
    {description: 'What your WebSocket server (PID 4242) costs per upgraded connection', command: '<%= config.bin %> <%= command.id %> --target ws://127.0.0.1:8080/chat --server-pid 4242 --conns 20k'},
    {description: 'What your Server-Sent Events endpoint costs per open stream, with what it pushes during a minute', command: '<%= config.bin %> <%= command.id %> --target http://127.0.0.1:8080/events --http sse --server-pid 4242 --conns 20k --hold 60s'},
    {description: 'A long-poll endpoint: each GET held until the server answers, then asked again; answers and the statuses that ended connections are counted', command: '<%= config.bin %> <%= command.id %> --target http://127.0.0.1:8080/poll --http long-poll --server-pid 4242 --conns 20k --hold 60s'},
    {description: 'Your WebSocket server over TLS, its certificate checked against your CA; the figure after one message per connection (permessage-deflate offered)', command: '<%= config.bin %> <%= command.id %> --target wss://10.0.0.5:443/live --servername chat.example.com --ca ca.pem --server-pid 4242 --conns 20k --ws-deflate --echo-each-step'},
    {description: 'Your MQTT broker over TLS, every client subscribed to one topic; what it fans out during a minute is counted', command: '<%= config.bin %> <%= command.id %> --target mqtts://127.0.0.1:8883 --ca ca.pem --server-pid 4242 --conns 20k --mqtt-subscribe news/all --hold 60s'},
    {description: 'What the WebSocket protocol itself costs, with the bundled server', command: '<%= config.bin %> <%= command.id %> --protocol ws --conns 100k'},
    {description: 'What TLS adds on each side of an idle WebSocket, with the bundled server (its certificate is made for the run)', command: '<%= config.bin %> <%= command.id %> --protocol wss --conns 20k'},
    {description: 'What a node.js server costs per connection, with a chart', command: '<%= config.bin %> <%= command.id %> --conns 50k --engine node --html probe-node.html'},
  ]

  // Written out: a run and --merge take different flags, which oclif's one generated line shows as a
  // broken either-or group (with an empty alternative). A test holds every flag here.
  static override usage = [
    '<%= command.id %> [--conns N] [--engine ENGINE] [--steps K] [--out FILE...] [--html FILE] [--settle DURATION] [--inflight N] [--open-timeout DURATION] [--hold DURATION] [--message-size SIZE] [--interval DURATION] [--protocol PROTOCOL] [--target URL --server-pid PID] [--http MODE] [--header \'NAME: VALUE\'...] [--ws-deflate] [--mqtt-subscribe TOPIC] [--mqtt-keepalive SECONDS] [--app APP [--send TEXT...] [--expect TEXT] [--reply \'MATCH=>ANSWER\'...] [--greeting] [--namespace /NS] [--auth JSON] [--eio N] [--init-payload JSON] [--subscribe QUERY] [--topic TOPIC] [--destination DEST] [--login USER:PASS] [--subject SUBJECT]] [--ca FILE] [--insecure] [--servername NAME] [--echo-each-step] [--[no-]echo] [--own-ehash] [--[no-]netns] [--client-hosts K [--nat]] [--json] [--no-color]',
    '<%= command.id %> --merge FILE... [--out FILE...] [--json] [--no-color]',
  ]

  static override flags = {
    conns: connsFlag({description: 'connections to reach (1e6, 1M, 250k)', default: 100_000}),
    engine: Flags.string({char: 'e', description: 'echo server and client: native (C, epoll) or node', options: ENGINES, default: 'native', helpValue: 'ENGINE'}),
    steps: Flags.integer({description: 'steps of the ramp; memory is sampled after each', default: 5, min: 2, max: 100, helpValue: 'K'}),
    out: outFlag('write the report to FILE: .json for the JSON report (c1m.probe/1, what --calibration reads), .html for a self-contained page of charts; give it twice for both'),
    html: Flags.string({description: 'the same as --out FILE.html: a self-contained HTML page of charts', helpValue: 'FILE'}),
    settle: Flags.string({description: 'wait after each step before sampling', default: '500ms', helpValue: 'DURATION'}),
    inflight: Flags.integer({description: 'connects in flight per client process', default: 256, min: 1, max: 65_535, helpValue: 'N'}),
    'open-timeout': Flags.string({description: 'longest a step may take to open its connections', default: '120s', helpValue: 'DURATION'}),
    hold: Flags.string({description: 'after the ramp, hold the connections this long (30s, 5m), then check every one is still open and echoes', default: '0', helpValue: 'DURATION'}),
    'message-size': Flags.string({description: 'during --hold, send this many bytes (1 to 64KiB) on every connection each --interval (in a WebSocket text frame, or an MQTT PUBLISH to its own topic) and measure TCP buffer memory', helpValue: 'SIZE'}),
    interval: Flags.string({description: 'how often --message-size bytes go out on each connection', default: '1s', helpValue: 'DURATION'}),
    target: Flags.string({char: 't', description: 'measure your own server instead of the bundled one (with --server-pid): IPv4:PORT or tcp:// (raw TCP), ws://IPv4:PORT/PATH (WebSocket), http://IPv4:PORT/PATH with --http, mqtt://IPv4:PORT; tls://, wss://, https://, mqtts:// for the same over TLS', dependsOn: ['server-pid'], helpValue: 'URL'}),
    protocol: Flags.string({description: "what the bundled server and clients speak (native engine): tcp (raw), ws (WebSocket handshake and frames), sse (Server-Sent Events), stream (a chunked response), tls or wss (TCP or WebSocket over TLS, the server's certificate made for the run); with --target its scheme decides", options: [...BUNDLED_PROTOCOLS], helpValue: 'PROTOCOL'}),
    'server-pid': Flags.integer({description: 'with --target: the PID of that server; it and its child processes are measured', dependsOn: ['target'], min: 1, helpValue: 'PID'}),
    'echo-each-step': Flags.boolean({description: 'run the echo check after every step, before memory is sampled, so the figure is for connections that have exchanged a message (a WebSocket server with permessage-deflate makes its compressor only then)', default: false}),
    echo: Flags.boolean({description: 'check that every connection echoes byte for byte after the ramp and after --hold (--no-echo: for a server that does not echo; then not one byte is sent to it)', default: true, allowNo: true}),
    'own-ehash': Flags.boolean({description: 'as root, give the namespace an established hash of its own sized for the run (sets the host-wide net.ipv4.tcp_child_ehash_entries while creating it, restored at once)', default: false}),
    netns: Flags.boolean({description: 'as root, run in a network namespace of its own (deleted afterwards); --no-netns: on the host loopback with the host limits', default: true, allowNo: true}),
    'client-hosts': Flags.integer({description: 'as root, put the clients on K simulated hosts: namespaces with subnets of their own, bridged to the server, which sees their addresses through a route', min: 1, max: MAX_CLIENT_HOSTS, helpValue: 'K'}),
    merge: Flags.string({
      description: 'add up the `c1m client --json` results of several client hosts (one file each, from --shard I/K) into one run; starts nothing',
      helpValue: 'FILE',
      multiple: true,
      exclusive: ['target', 'server-pid', 'client-hosts', 'hold', 'html', 'message-size', 'own-ehash'],
    }),
    ...protocolFlags,
    ...sessionFlags,
    nat: Flags.boolean({description: 'with --client-hosts: the clients reach the server through a router namespace that masquerades them, so conntrack holds an entry per connection; the report gives its bytes per connection', dependsOn: ['client-hosts']}),
  }

  async run(): Promise<ProbeRunReport | MergedClients> {
    const {flags} = await this.parse(Probe)
    if (flags.merge) return this.merge(flags.merge, flags.out)
    const {conns} = flags
    // Every number and duration is checked here, before any process starts.
    const settleMs = parseBoundedDuration(flags.settle, 'settle', DURATION_FLAGS.settle)
    const openTimeoutMs = parseBoundedDuration(flags['open-timeout'], 'open-timeout', DURATION_FLAGS['open-timeout'])
    const holdMs = parseBoundedDuration(flags.hold, 'hold', DURATION_FLAGS['probe-hold'])
    const intervalMs = parseBoundedDuration(flags.interval, 'interval', DURATION_FLAGS.interval)
    let traffic: {messageSize: number; intervalMs: number} | undefined
    if (flags['message-size'] !== undefined) {
      const messageSize = parseSize(flags['message-size'], 'message-size')
      if (!Number.isInteger(messageSize) || messageSize < 1 || messageSize > 65_536) throw usageError(`--message-size must be 1 byte to 64KiB, got "${flags['message-size']}"`)
      if (holdMs <= 0) throw usageError('--message-size sends traffic during the hold: give --hold too', 'add --hold 30s')
      if (!flags.echo) throw usageError('--message-size sends echo traffic, and --no-echo promises the server not one byte', 'drop one of them')
      traffic = {messageSize, intervalMs}
    }
    if (conns < flags.steps) throw usageError(`--conns ${conns} is fewer than --steps ${flags.steps}`, 'ask for more connections or fewer steps')
    const {json: out, html} = resolveOutFiles(flags.out, flags.html)

    if (flags.http && !flags.target) throw usageError('--http is for an http:// --target', 'give --target http://IP:PORT/PATH')
    const parsed = flags.target ? parseTarget(flags.target, '127.0.0.1:8080', flags.http as HttpMode | undefined) : undefined
    if (parsed && flags.protocol) throw usageError('--protocol is for the bundled server; with --target the scheme picks it', `use --target ws://${parsed.host}:${parsed.port}/ for WebSocket`)
    const target = parsed ? {host: parsed.host, port: parsed.port, serverPid: flags['server-pid']!} : undefined
    if (!parsed && (flags.ca || flags.insecure || flags.servername)) {
      throw usageError('--ca, --insecure and --servername are for a --target over TLS; the bundled server makes its own certificate for each run', 'drop them, or give --target')
    }
    // The bundled server speaks socketio and phoenix over WebSocket: ws unless --protocol says wss.
    const bundledName = flags.protocol ?? (bundledServerApp(flags.app) ? 'ws' : 'tcp')
    const shaped = withSession(withProtocolFlags(parsed?.protocol ?? bundledProtocol(bundledName as BundledProtocol), flags, Boolean(parsed)), flags)
    if (shaped.session && !target && !bundledServerApp(shaped.session.app)) {
      throw usageError(`--app ${shaped.session.app} is for your own server (--target); the bundled server speaks --app socketio and phoenix`, 'give --target and --server-pid')
    }
    // MQTT traffic is published to a topic of each connection's own, which it subscribes to when it opens.
    let protocol: Protocol = shaped.kind === 'mqtt' && traffic ? {...shaped, echo: true} : shaped
    checkCaFile(protocol.tls?.ca)
    // A server that pushes does not echo: no check is sent, and what it pushes during --hold is counted.
    const push = isPush(protocol)
    const nodeCannot = flags.engine === 'node' ? nodeEngineRefuses(protocol, !target) : undefined
    if (nodeCannot) throw usageError(nodeCannot, 'drop --engine node')
    const chosen = engineForTls(flags.engine as Engine, protocol, !target)
    if (chosen.note) this.note(chosen.note)
    const {engine} = chosen
    protocol = withInflate(engine, protocol, flags['ws-deflate'])
    if (traffic && push) throw usageError('--message-size is echo traffic (raw TCP, WebSocket frames, MQTT PUBLISHes), not for a server that pushes', 'drop --message-size for this run')
    if (flags['echo-each-step'] && (!flags.echo || push)) throw usageError(`--echo-each-step needs the echo check, and ${push ? 'a server that pushes gets none' : '--no-echo turns it off'}`, 'drop --echo-each-step')
    const root = hostRoot('/')
    if (target && readProcessTree(root, target.serverPid).length === 0) {
      throw new C1mError('E_NO_PROCESS', `--server-pid ${target.serverPid}: no such process`, 'pass the PID of the server listening at --target (pgrep -f NAME)')
    }
    const clientHosts = flags['client-hosts'] === undefined ? undefined : {count: flags['client-hosts'], nat: flags.nat === true}
    if (clientHosts) {
      if (target) throw usageError('--client-hosts simulates client hosts around the bundled server; with --target the clients are on this host', 'drop --client-hosts, or drop --target')
      if (!flags.netns) throw usageError('--client-hosts needs network namespaces, and --no-netns asks for none', 'drop --no-netns')
      if (process.getuid?.() !== 0) throw new C1mError('E_NOT_ROOT', '--client-hosts makes network namespaces, which needs root', 'run it with sudo')
      if (conns < clientHosts.count) throw usageError(`--conns ${conns} is fewer than --client-hosts ${clientHosts.count}`, 'ask for more connections or fewer hosts')
    }
    const hardNofile = readHardNofile(root)
    const plan = planProbe({conns, hardNofile, target})
    preflightProbe(root, {conns, engine, processes: plan.shards.length * (target ? 1 : 2), socketsPerConn: plan.socketsPerConn})

    // A c1m killed with SIGKILL leaves its namespace: delete those whose owner is gone (root only can).
    if (process.getuid?.() === 0) {
      for (const stale of await removeStaleProbeNetns()) this.note(`removed stale namespace ${stale.name} left by PID ${stale.pid}`)
      const ehash = await restoreChildEhash().catch((error: Error) => this.note(`could not check net.ipv4.tcp_child_ehash_entries: ${error.message}`))
      if (ehash) this.note(`put net.ipv4.tcp_child_ehash_entries back to ${ehash.restored}: PID ${ehash.pid} set it to ${ehash.was} and was killed`)
    }
    let report: ProbeRunReport
    const stop = abortOnSignals((name) => progress(`${name}: finishing this step, then closing every connection`))
    try {
      const isolation = chooseIsolation({target: Boolean(target), netns: flags.netns, root: process.getuid?.() === 0, ownEhash: flags['own-ehash'] ? ehashEntriesFor(2 * conns) : undefined})
      report = await runProbe({plan, conns, steps: flags.steps, engine, hardNofile, settleMs, inflight: flags.inflight, openTimeoutMs, progress, step: progressStep, signal: stop.signal, isolation, holdMs, traffic, target, echo: flags.echo && !push, echoEachStep: flags['echo-each-step'], clientHosts, protocol})
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
    const {json: out, html} = resolveOutFiles(outs)
    if (html) throw usageError(`--merge writes JSON only; --out ${html} asks for HTML`, 'name the --out file with .json')
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
