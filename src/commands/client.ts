import {Flags} from '@oclif/core'

import {C1mCommand} from '../cli/base.js'
import * as help from '../help/client.js'
import {describeEcho} from '../core/probe/outcome.js'
import {connsFlag, engineFlag, familyFlag, protocolFlags, sessionFlags, trafficPaceFlags} from '../cli/flags.js'
import {planShards} from '../core/probe/plan-shards.js'
import {C1mError, EXIT_CODES} from '../core/errors.js'
import {describeFailure} from '../core/probe/failure-hint.js'
import {hostRoot} from '../host/files/root.js'
import {readSysctl} from '../host/read/sysctl.js'
import {hasOpenSsl, prepareEngine, withInflate, withProtocol} from '../probe/engine.js'
import {progress} from '../probe/progress.js'
import {type ClientRunResult, runClient} from '../probe/run-client.js'
import {describeClientTraffic} from '../reports/echo-latency-text.js'
import {abortOnSignals} from '../probe/wait.js'
import type {HostShare} from '../core/probe/host-share.js'
import {portsPerTuple} from '../core/needs.js'
import {formatCount, parseFamily} from '../core/units.js'
import {resolveHost} from '../host/probe/resolve-host.js'
import {describeTls, type HttpMode, parseTarget} from '../core/probe/protocol.js'
import {resolveClientRequest} from '../core/probe/client-request.js'
import {checkCaFile} from '../host/probe/tls-files.js'
import {describeSessions} from '../core/probe/session.js'
import {describeFanoutSource, formatFanout} from '../core/probe/fanout.js'
import {PAGE_SIZE} from '../core/estimate/socket-cost.js'
import {readHardNofile} from '../host/read/limits.js'
import {readProcessTree} from '../host/read/process-tree.js'
import {checkServerTrees} from '../core/probe/server-trees.js'
import {describeClientServers} from '../reports/probe-servers-text.js'
import {soakLines} from '../reports/soak-text.js'

export default class Client extends C1mCommand {
  static override description = help.description

  static override examples = help.examples

  static override flags = {
    target: Flags.string({char: 't', description: 'server HOST:PORT (IPv4, [IPv6] or a name) or tcp:// (raw TCP), ws://HOST:PORT/PATH (WebSocket), http://HOST:PORT/PATH with --http, mqtt://HOST:PORT; tls://, wss://, https://, mqtts:// for the same over TLS', required: true, helpValue: 'URL'}),
    ports: Flags.integer({description: 'server workers on consecutive ports from the target port', default: 1, min: 1, max: 1024, helpValue: 'N'}),
    conns: connsFlag({description: 'connections to open (1e6, 1M, 250k)', required: true}),
    engine: engineFlag(),
    source: Flags.string({char: 's', description: "source address to bind (repeat for more), of the target's family; or an IPv6 prefix such as fd00:1::/64, from which as many addresses are taken as the connections need (they must be routed to this host, e.g. ip -6 route add local PREFIX dev lo, and bindable: on an interface or net.ipv6.ip_nonlocal_bind 1)", multiple: true, helpValue: 'IP|PREFIX'}),
    family: familyFlag,
    'source-ports': Flags.string({description: 'source ports to bind on each --source address', default: '1024-65535', helpValue: 'LO-HI'}),
    steps: Flags.integer({description: 'open in this many steps, reporting after each', default: 10, min: 1, max: 1000, helpValue: 'K'}),
    inflight: Flags.integer({description: 'connects in flight per process', default: 256, min: 1, max: 65_535, helpValue: 'N'}),
    'open-timeout': Flags.string({description: 'longest a step may take', default: '120s', helpValue: 'DURATION'}),
    echo: Flags.boolean({description: 'check that every connection echoes', default: true, allowNo: true}),
    hold: Flags.string({description: 'hold the connections open this long: 0, 30s, 5m, 2h, 1d, forever; with --server-pid, longer than a minute is a soak (memory per connection every 5 s, its growth per hour)', default: '0', helpValue: 'DURATION'}),
    'message-size': Flags.string({description: "during --hold, send this many bytes (1 to 64KiB) on every connection each --interval (in a WebSocket text frame, or an MQTT PUBLISH to its own topic) and time each echo from when it was due (p50 to p99.9, max, lost)", helpValue: 'SIZE'}),
    ...trafficPaceFlags,
    'server-pid': Flags.integer({description: 'a server on this host to measure (repeat it for a proxy and its backends): each process tree\'s bytes and sockets per connection, and its memory every second of --hold', min: 1, multiple: true, helpValue: 'PID'}),
    ...protocolFlags,
    ...sessionFlags,
    shard: Flags.string({description: 'this host is I of K client hosts: open its share of --conns from its own slice of --source-ports', helpValue: 'I/K'}),
    publish: Flags.string({description: 'during --hold, one connection sends TEXT (after a c1m-fanout token and timestamp) every --publish-every through the server: an MQTT PUBLISH to the --mqtt-subscribe topic, a NATS PUB to --subject (--app nats), a STOMP SEND to --destination (--app stomp), a Socket.IO event (--app socketio, --event) or a Phoenix push on --topic (--app phoenix, --event), or a WebSocket text frame; every connection that receives it times it (sender and receivers on this host)', helpValue: 'TEXT'}),
    'publish-every': Flags.string({description: 'how often --publish sends', default: '1s', helpValue: 'DURATION'}),
  }

  async run(): Promise<ClientRunResult & {shard?: HostShare}> {
    const {flags} = await this.parse(Client)
    // A host name is resolved once, here; every connection goes to the address it gave.
    const written = parseTarget(flags.target, '127.0.0.1:9000', flags.http as HttpMode | undefined)
    const resolved = await resolveHost(written.host, parseFamily(flags.family))
    if (resolved.name) this.note(`${resolved.name} resolved to ${resolved.address}`)
    const request = resolveClientRequest(flags, {nativeTls: hasOpenSsl(), resolved})
    if (request instanceof C1mError) throw request
    const {conns, share, sources, endpoints} = request
    checkCaFile(request.protocol.tls?.ca)
    for (const note of request.notes) this.note(note)
    const protocol = withInflate(request.engine, request.protocol, flags['ws-deflate'])
    const root = hostRoot('/')
    const serverPids = flags['server-pid'] ?? []
    checkServerTrees(serverPids.map((pid) => ({pid, tree: readProcessTree(root, pid)})))
    const shards = planShards({conns, hardNofile: readHardNofile(root), sources, ports: request.sourcePorts})
    if (sources.kind === 'kernel') this.warnIfPortsShort(conns, flags.ports)

    const programs = withProtocol(await prepareEngine(request.engine, Boolean(protocol.tls)), protocol)
    const stop = abortOnSignals((name) => progress(`${name}: closing the connections`))
    let result: ClientRunResult
    try {
      const {steps, inflight, openTimeoutMs, echo, holdMs, traffic} = request
      result = await runClient({programs, shards, endpoints, steps, inflight, openTimeoutMs, echo, holdMs, progress, signal: stop.signal, serverPids, session: protocol.session, traffic, fanout: request.fanout})
    } finally {
      stop.release()
    }

    const unanswered = result.echo ? result.echo.sent - result.echo.echoed : 0
    const allClosed = result.established > 0 && result.server?.openAtEnd === 0
    if (result.stopped === 'interrupted') process.exitCode = EXIT_CODES.E_INTERRUPTED
    if (!this.jsonEnabled()) {
      const echo = result.echo ? `, ${formatCount(result.echo.echoed)} echoed` : ''
      if (share) this.log(`shard ${share.index}/${share.count}: ${formatCount(share.conns)} of ${formatCount(flags.conns)} connections, source ports ${share.ports.join('-')}`)
      this.log(`${formatCount(result.established)} of ${formatCount(conns)} connections opened in ${result.openSeconds} s (${formatCount(result.connectsPerSecond)}/s) by ${result.processes} process(es)${echo}, held ${result.heldSeconds} s`)
      if (result.tls) this.log(`tls: ${describeTls(result.tls, !protocol.tls?.insecure)}`)
      if (result.openMs) this.log(`time to open, p50/p99/max: ${result.openMs.p50}/${result.openMs.p99}/${result.openMs.max} ms`)
      if (result.traffic) for (const line of describeClientTraffic(result.traffic)) this.log(line)
      if (result.serverTrees) for (const line of describeClientServers(result.serverTrees)) this.log(line)
      for (const line of soakLines(result.soak)) this.log(line)
      if (result.session) this.log(describeSessions(result.session))
      if (result.fanout) for (const line of [describeFanoutSource(result.fanout.source), ...formatFanout(result.fanout, PAGE_SIZE)]) this.log(line)
    }
    if (result.stopped !== 'interrupted' && (result.stopped || unanswered > 0 || allClosed)) {
      const what = result.stopped ?? (unanswered > 0 ? describeEcho(result.echo!) : `the server closed all ${formatCount(result.established)} connections before they could be checked`)
      const {message, suggestion} = describeFailure({
        target: endpoints[0],
        protocol: protocol.kind,
        path: 'path' in protocol ? protocol.path : undefined,
        what,
        firstBytes: result.echo?.firstBytes || result.server?.firstBytes || '',
        closeCodes: new Map(Object.entries(result.server?.closeCodes ?? {}).map(([code, n]) => [Number(code), n])),
        allClosed,
      })
      this.failWith(new C1mError('E_PROBE_FAILED', message, suggestion))
    }
    return share ? {...result, shard: share} : result
  }

  /** Without explicit sources, one (source, target) pair has only the ephemeral range of ports. */
  private warnIfPortsShort(conns: number, serverPorts: number): void {
    const range = readSysctl(hostRoot('/'), 'net.ipv4.ip_local_port_range')
    if (!range.ok) return
    const [lo, hi] = range.text.split(' ').map(Number)
    const ports = portsPerTuple([lo, hi]) * serverPorts
    if (conns > ports) {
      this.note(`net.ipv4.ip_local_port_range ${lo}-${hi} gives ${ports} ports to ${serverPorts} server port(s), fewer than ${conns} connections; add --source addresses or --ports`)
    }
  }
}
