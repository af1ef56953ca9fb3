import net from 'node:net'

import {Flags} from '@oclif/core'

import {C1mCommand} from '../cli/base.js'
import {connsFlag} from '../cli/flags.js'
import {connsPerProcess, planShards} from '../core/probe/plan-shards.js'
import {DURATION_FLAGS, parseBoundedDuration} from '../core/duration.js'
import {usageError} from '../core/errors.js'
import {BUNDLED_PROTOCOLS, type BundledProtocol, bundledProtocol, nodeEngineRefuses} from '../core/probe/protocol.js'
import {hostRoot} from '../host/files/root.js'
import {prepareEngine, withProtocol} from '../probe/engine.js'
import {progress} from '../probe/progress.js'
import {LISTEN_BACKLOG} from '../probe/run-probe.js'
import {runServer, type ServerRunResult} from '../probe/run-server.js'
import {SERVER_APP_DEFAULTS, SERVER_APPS, type ServerAppName, serverApp, serverAppArgs} from '../core/probe/server-app.js'
import {abortOnSignals} from '../probe/wait.js'
import {type Engine, ENGINES} from '../core/probe/run-report.js'
import {readHardNofile} from '../host/read/limits.js'

export default class Server extends C1mCommand {
  static override description = `Run the bundled epoll echo server on its own, to take load from \`c1m client\` on this or another host.

Worker i listens on --port + i, or with --reuse-port every worker shares --port (each is one process, so each may hold as many connections as the per-process open-file limit allows). It runs until Ctrl-C or --duration, printing the connection count to stderr as it changes.

With --app it speaks an application's protocol over the WebSocket instead of echoing frames: socketio (Engine.IO 4 at /socket.io/?EIO=4&transport=websocket: open packet, namespace connects, pings every --ping-interval, a connection whose pong is later than --ping-timeout closed, events echoed to their sender) or phoenix (Phoenix channels V2 at /socket/websocket?vsn=2.0.0: joins to room:* topics, heartbeats answered, a socket silent for --idle-timeout closed, pushes answered and sent back to their sender).`

  static override examples = [
    {description: 'One worker on 127.0.0.1:9000 until Ctrl-C', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Enough workers for a million connections, on every address', command: '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --port 9000 --conns 1M'},
    {description: 'The node.js engine for one minute', command: '<%= config.bin %> <%= command.id %> --engine node --duration 60s'},
    {description: 'Four workers sharing port 9000 (SO_REUSEPORT)', command: '<%= config.bin %> <%= command.id %> --port 9000 --workers 4 --reuse-port'},
    {description: 'A Socket.IO server for socket.io-client, pinging every 10 s', command: '<%= config.bin %> <%= command.id %> --app socketio --ping-interval 10s'},
  ]

  static override flags = {
    engine: Flags.string({char: 'e', description: 'native (C, epoll) or node', options: ENGINES, default: 'native', helpValue: 'ENGINE'}),
    host: Flags.string({description: 'IPv4 address to listen on', default: '127.0.0.1', helpValue: 'IP'}),
    port: Flags.integer({char: 'p', description: 'port of the first worker; 0 lets the kernel pick one per worker', default: 9000, min: 0, max: 65_535, helpValue: 'PORT'}),
    workers: Flags.integer({char: 'w', description: 'worker processes (default: enough for --conns, else 1)', min: 1, max: 1024, helpValue: 'N'}),
    conns: connsFlag({description: 'connections to be ready for; sets --workers from the open-file limit'}),
    duration: Flags.string({char: 'd', description: 'how long to run: 30s, 5m, forever', default: 'forever', helpValue: 'DURATION'}),
    interval: Flags.string({description: 'how often to print the connection count', default: '5s', helpValue: 'DURATION'}),
    protocol: Flags.string({description: "tcp (raw echo), ws (WebSocket handshake, then every frame echoed), sse (200 text/event-stream and one event, then idle), stream (200 chunked and one chunk, then idle), tls or wss (TCP or WebSocket over TLS, with a key and self-signed certificate made at start); all but tcp need the native engine; default tcp, or ws with --app", options: [...BUNDLED_PROTOCOLS], helpValue: 'PROTOCOL'}),
    app: Flags.string({description: 'speak an application protocol over the WebSocket: socketio (Engine.IO 4) or phoenix (Phoenix channels V2); with --protocol ws (the default then) or wss', options: [...SERVER_APPS], helpValue: 'APP'}),
    'ping-interval': Flags.string({description: `--app socketio: ping each connection this long after its open and after each pong (default ${SERVER_APP_DEFAULTS.pingIntervalMs / 1000}s)`, helpValue: 'DURATION'}),
    'ping-timeout': Flags.string({description: `--app socketio: close a connection whose pong has not come this long after the ping (default ${SERVER_APP_DEFAULTS.pingTimeoutMs / 1000}s)`, helpValue: 'DURATION'}),
    'idle-timeout': Flags.string({description: `--app phoenix: close a socket that sent nothing (no heartbeat) for this long (default ${SERVER_APP_DEFAULTS.idleTimeoutMs / 1000}s)`, helpValue: 'DURATION'}),
    'reuse-port': Flags.boolean({description: 'every worker on --port itself, sharing it with SO_REUSEPORT (native engine); the kernel spreads connections by hash, not exactly evenly'}),
  }

  async run(): Promise<ServerRunResult> {
    const {flags} = await this.parse(Server)
    if (!net.isIPv4(flags.host)) throw usageError(`--host must be an IPv4 address, got "${flags.host}"`)
    const durationMs = parseBoundedDuration(flags.duration, 'duration', DURATION_FLAGS.duration)
    const intervalMs = parseBoundedDuration(flags.interval, 'interval', DURATION_FLAGS.interval)
    const hardNofile = readHardNofile(hostRoot('/'))
    const {conns} = flags
    const needed = conns === undefined ? 1 : planShards({conns, hardNofile, sources: {kind: 'kernel'}}).length
    const workers = flags.workers ?? needed
    if (workers < needed) this.note(`${workers} worker(s) hold at most ${workers * connsPerProcess(hardNofile)} connections; --conns ${conns} needs ${needed}`)
    if (flags['reuse-port'] && flags.engine !== 'native') throw usageError('--reuse-port needs --engine native', 'node 20 cannot set SO_REUSEPORT')
    if (flags['reuse-port'] && conns !== undefined && flags.workers === undefined && workers > 1) {
      this.note('with --reuse-port the kernel spreads connections by hash: give a worker or two more than --conns needs')
    }
    if (!flags['reuse-port'] && flags.port !== 0 && flags.port + workers - 1 > 65_535) throw usageError(`ports ${flags.port}-${flags.port + workers - 1} run past 65535`, 'choose a lower --port')

    const protocolName = (flags.protocol ?? (flags.app ? 'ws' : 'tcp')) as BundledProtocol
    const period = (flag: 'ping-interval' | 'ping-timeout' | 'idle-timeout') => {
      const text = flags[flag]
      return text === undefined ? undefined : parseBoundedDuration(text, flag, DURATION_FLAGS['app-period'])
    }
    const app = serverApp(flags.app as ServerAppName | undefined, protocolName, {pingIntervalMs: period('ping-interval'), pingTimeoutMs: period('ping-timeout'), idleTimeoutMs: period('idle-timeout')})
    const protocol = bundledProtocol(protocolName)
    const nodeCannot = flags.engine === 'node' ? nodeEngineRefuses(protocol, true) : undefined
    if (nodeCannot) throw usageError(nodeCannot, 'drop --engine node')
    const prepared = withProtocol(await prepareEngine(flags.engine as Engine, Boolean(protocol.tls)), protocol)
    const programs = {...prepared, server: {...prepared.server, args: [...prepared.server.args, ...serverAppArgs(app)]}}
    const stop = abortOnSignals((name) => progress(`${name}: stopping`))
    try {
      const result = await runServer({programs, host: flags.host, port: flags.port, reusePort: flags['reuse-port'], workers, backlog: LISTEN_BACKLOG, durationMs, intervalMs, progress, signal: stop.signal, app: app?.name})
      if (!this.jsonEnabled()) {
        this.log(`served ${result.accepted} connections over ${result.seconds} s (peak ${result.peakOpen} open, ${result.rejected} rejected, ${result.bytesEchoed} bytes echoed)`)
        const {app: served} = result
        if (served) this.log(`${served.name}: ${served.sessions} sessions joined, ${served.refused} refused, ${served.heartbeats} heartbeats answered, ${served.timeouts} closed for a missed heartbeat, ${served.events} events answered`)
      }
      if (result.rejected > 0) this.note(`${result.rejected} connections were refused because a worker ran out of file descriptors; run more --workers`)
      return result
    } finally {
      stop.release()
    }
  }
}
