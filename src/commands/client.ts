import net from 'node:net'

import {Flags} from '@oclif/core'

import {C1mCommand} from '../cli/base.js'
import {describeEcho} from '../core/probe/outcome.js'
import {connsFlag, protocolFlags, sessionFlags} from '../cli/flags.js'
import {planShards, type SourceMode} from '../core/probe/plan-shards.js'
import {DURATION_FLAGS, parseBoundedDuration} from '../core/duration.js'
import {C1mError, EXIT_CODES, usageError} from '../core/errors.js'
import {describeFailure} from '../core/probe/failure-hint.js'
import {hostRoot} from '../host/files/root.js'
import {readSysctl} from '../host/read/sysctl.js'
import {engineForTls, prepareEngine, withInflate, withProtocol} from '../probe/engine.js'
import {progress} from '../probe/progress.js'
import {type ClientRunResult, runClient} from '../probe/run-client.js'
import {abortOnSignals} from '../probe/wait.js'
import {type HostShare, hostShare} from '../core/probe/host-share.js'
import {portsPerTuple} from '../core/needs.js'
import {formatCount, parsePortRange, parseShard} from '../core/units.js'
import {describeTls, type HttpMode, isPush, nodeEngineRefuses, parseTarget, withProtocolFlags} from '../core/probe/protocol.js'
import {checkCaFile} from '../host/probe/tls-files.js'
import {describeSessions, withSession} from '../core/probe/session.js'
import {type Engine, ENGINES} from '../core/probe/run-report.js'
import {readHardNofile} from '../host/read/limits.js'

export default class Client extends C1mCommand {
  static override description = `Open N connections to an echo server (\`c1m server\` here or on another host), check that each one echoes, hold them, then reset them all.

Connections are split over as many processes as the per-process open-file limit requires. To a 127.x target every process binds its own 127.1.x.y address and explicit ports, so connect() never searches for a free port; with --source the given addresses' ports are split between the processes; otherwise the kernel picks ports. Exit 10 when not every connection opened or echoed, or the server closed them all: one error line says what happened (a refused connect, the server's answer, a WebSocket close code and reason) and what to do.`

  static override examples = [
    {description: '50,000 connections to a local server, checked and released', command: '<%= config.bin %> <%= command.id %> --target 127.0.0.1:9000 --conns 50k'},
    {description: 'A million connections to 53 server workers, held until Ctrl-C', command: '<%= config.bin %> <%= command.id %> --target 127.0.0.1:9000 --ports 53 --conns 1M --hold forever'},
    {description: 'Host 3 of 8 client hosts (an indexed Job, an Ansible batch): 1M/8 connections and its own eighth of the source ports', command: '<%= config.bin %> <%= command.id %> --target 10.0.0.2:9000 --ports 16 --conns 1M --shard 3/8 --source 10.0.3.1 --hold 10m'},
    {description: 'From two source addresses of this host to a remote server', command: '<%= config.bin %> <%= command.id %> --target 10.0.0.2:9000 --ports 4 --conns 100k --source 10.0.0.5 --source 10.0.0.6'},
  ]

  static override flags = {
    target: Flags.string({char: 't', description: 'server IPv4:PORT or tcp:// (raw TCP), ws://IPv4:PORT/PATH (WebSocket), http://IPv4:PORT/PATH with --http, mqtt://IPv4:PORT; tls://, wss://, https://, mqtts:// for the same over TLS', required: true, helpValue: 'URL'}),
    ports: Flags.integer({description: 'server workers on consecutive ports from the target port', default: 1, min: 1, max: 1024, helpValue: 'N'}),
    conns: connsFlag({description: 'connections to open (1e6, 1M, 250k)', required: true}),
    engine: Flags.string({char: 'e', description: 'native (C, epoll) or node', options: ENGINES, default: 'native', helpValue: 'ENGINE'}),
    source: Flags.string({char: 's', description: 'source IPv4 address to bind (repeat for more)', multiple: true, helpValue: 'IP'}),
    'source-ports': Flags.string({description: 'source ports to bind on each --source address', default: '1024-65535', helpValue: 'LO-HI'}),
    steps: Flags.integer({description: 'open in this many steps, reporting after each', default: 10, min: 1, max: 1000, helpValue: 'K'}),
    inflight: Flags.integer({description: 'connects in flight per process', default: 256, min: 1, max: 65_535, helpValue: 'N'}),
    'open-timeout': Flags.string({description: 'longest a step may take', default: '120s', helpValue: 'DURATION'}),
    echo: Flags.boolean({description: 'check that every connection echoes', default: true, allowNo: true}),
    hold: Flags.string({description: 'hold the connections open this long: 0, 30s, 5m, forever', default: '0', helpValue: 'DURATION'}),
    ...protocolFlags,
    ...sessionFlags,
    shard: Flags.string({description: 'this host is I of K client hosts: open its share of --conns from its own slice of --source-ports', helpValue: 'I/K'}),
  }

  async run(): Promise<ClientRunResult & {shard?: HostShare}> {
    const {flags} = await this.parse(Client)
    const parsed = parseTarget(flags.target, '127.0.0.1:9000', flags.http as HttpMode | undefined)
    const asked = {...parsed, protocol: withSession(withProtocolFlags(parsed.protocol, flags), flags)}
    checkCaFile(asked.protocol.tls?.ca)
    const push = isPush(asked.protocol)
    const nodeCannot = flags.engine === 'node' ? nodeEngineRefuses(asked.protocol, false) : undefined
    if (nodeCannot) throw usageError(nodeCannot, 'drop --engine node')
    const chosen = engineForTls(flags.engine as Engine, asked.protocol, false)
    if (chosen.note) this.note(chosen.note)
    const target = {...asked, protocol: withInflate(chosen.engine, asked.protocol, flags['ws-deflate'])}
    if (target.port + flags.ports - 1 > 65_535) throw usageError(`--ports ${flags.ports} from port ${target.port} runs past 65535`)
    const share = flags.shard === undefined ? undefined : hostShare(flags.conns, parseShard(flags.shard), parsePortRange(flags['source-ports']))
    const conns = share?.conns ?? flags.conns
    if (conns < 1) throw usageError(`--shard ${flags.shard} of --conns ${flags.conns} leaves this host no connection`, 'use fewer shards or more connections')
    const holdMs = parseBoundedDuration(flags.hold, 'hold', DURATION_FLAGS['client-hold'])
    const openTimeoutMs = parseBoundedDuration(flags['open-timeout'], 'open-timeout', DURATION_FLAGS['open-timeout'])
    const sourcePorts = share?.ports ?? parsePortRange(flags['source-ports'])
    for (const address of flags.source ?? []) {
      if (!net.isIPv4(address)) throw usageError(`--source must be an IPv4 address, got "${address}"`)
    }
    const sources: SourceMode = flags.source?.length
      ? {kind: 'addresses', addresses: flags.source}
      : target.host.startsWith('127.') ? {kind: 'loopback'} : {kind: 'kernel'}
    if (share && sources.kind === 'kernel') this.note(`--shard ${flags.shard}: without --source the kernel picks the source ports, so the slice ${share.ports.join('-')} is not used`)
    const root = hostRoot('/')
    const shards = planShards({conns, hardNofile: readHardNofile(root), sources, ports: sourcePorts})
    const targets = Array.from({length: flags.ports}, (_, i) => `${target.host}:${target.port + i}`)
    if (sources.kind === 'kernel') this.warnIfPortsShort(conns, flags.ports)

    const programs = withProtocol(await prepareEngine(chosen.engine, Boolean(target.protocol.tls)), target.protocol)
    const stop = abortOnSignals((name) => progress(`${name}: closing the connections`))
    let result: ClientRunResult
    try {
      result = await runClient({programs, shards, targets, steps: Math.min(flags.steps, conns), inflight: flags.inflight, openTimeoutMs, echo: flags.echo && !push, holdMs, progress, signal: stop.signal, session: target.protocol.session})
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
      if (result.tls) this.log(`tls: ${describeTls(result.tls, !target.protocol.tls?.insecure)}`)
      if (result.openMs) this.log(`time to open, p50/p99/max: ${result.openMs.p50}/${result.openMs.p99}/${result.openMs.max} ms`)
      if (result.session) this.log(describeSessions(result.session))
    }
    if (result.stopped !== 'interrupted' && (result.stopped || unanswered > 0 || allClosed)) {
      const what = result.stopped ?? (unanswered > 0 ? describeEcho(result.echo!) : `the server closed all ${formatCount(result.established)} connections before they could be checked`)
      const {message, suggestion} = describeFailure({
        target: targets[0],
        protocol: target.protocol.kind,
        path: 'path' in target.protocol ? target.protocol.path : undefined,
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
  private warnIfPortsShort(conns: number, targets: number): void {
    const range = readSysctl(hostRoot('/'), 'net.ipv4.ip_local_port_range')
    if (!range.ok) return
    const [lo, hi] = range.text.split(' ').map(Number)
    const ports = portsPerTuple([lo, hi]) * targets
    if (conns > ports) {
      this.note(`net.ipv4.ip_local_port_range ${lo}-${hi} gives ${ports} ports to ${targets} target port(s), fewer than ${conns} connections; add --source addresses or --ports`)
    }
  }
}
