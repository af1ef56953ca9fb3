import {Flags} from '@oclif/core'

import {C1mCommand} from '../cli/base.js'
import * as help from '../help/server.js'
import {bundledProtocolFlag, connsFlag, engineFlag} from '../cli/flags.js'
import {C1mError} from '../core/errors.js'
import {resolveServerRequest} from '../core/probe/server-request.js'
import {hostRoot} from '../host/files/root.js'
import {hasOpenSsl, prepareEngine, withProtocol} from '../probe/engine.js'
import {progress} from '../probe/progress.js'
import {LISTEN_BACKLOG} from '../probe/run-probe.js'
import {runServer, type ServerRunResult} from '../probe/run-server.js'
import {SERVER_APP_DEFAULTS, SERVER_APPS, serverAppArgs} from '../core/probe/server-app.js'
import {abortOnSignals} from '../probe/wait.js'
import {readHardNofile} from '../host/read/limits.js'

export default class Server extends C1mCommand {
  static override description = help.description

  static override examples = help.examples

  static override flags = {
    engine: engineFlag(),
    host: Flags.string({description: 'address to listen on: IPv4, or IPv6 (::1; :: takes both families where the kernel allows, IPV6_V6ONLY 0, and says so)', default: '127.0.0.1', helpValue: 'IP'}),
    port: Flags.integer({char: 'p', description: 'port of the first worker; 0 lets the kernel pick one per worker', default: 9000, min: 0, max: 65_535, helpValue: 'PORT'}),
    workers: Flags.integer({char: 'w', description: 'worker processes (default: enough for --conns, else 1)', min: 1, max: 1024, helpValue: 'N'}),
    conns: connsFlag({description: 'connections to be ready for; sets --workers from the open-file limit'}),
    duration: Flags.string({char: 'd', description: 'how long to run: 30s, 5m, forever', default: 'forever', helpValue: 'DURATION'}),
    interval: Flags.string({description: 'how often to print the connection count', default: '5s', helpValue: 'DURATION'}),
    protocol: bundledProtocolFlag({description: "tcp (raw echo), ws (WebSocket handshake, then every frame echoed), sse (200 text/event-stream and one event, then idle), stream (200 chunked and one chunk, then idle), tls or wss (TCP or WebSocket over TLS, with a key and self-signed certificate made at start); all but tcp need the native engine; default tcp, or ws with --app"}),
    app: Flags.option({description: 'speak an application protocol over the WebSocket: socketio (Engine.IO 4) or phoenix (Phoenix channels V2); with --protocol ws (the default then) or wss', options: SERVER_APPS, helpValue: 'APP'})(),
    'ping-interval': Flags.string({description: `--app socketio: ping each connection this long after its open and after each pong (default ${SERVER_APP_DEFAULTS.pingIntervalMs / 1000}s)`, helpValue: 'DURATION'}),
    'ping-timeout': Flags.string({description: `--app socketio: close a connection whose pong has not come this long after the ping (default ${SERVER_APP_DEFAULTS.pingTimeoutMs / 1000}s)`, helpValue: 'DURATION'}),
    'idle-timeout': Flags.string({description: `--app phoenix: close a socket that sent nothing (no heartbeat) for this long (default ${SERVER_APP_DEFAULTS.idleTimeoutMs / 1000}s)`, helpValue: 'DURATION'}),
    'broadcast-every': Flags.string({description: 'send every open connection one message this often ("c1m-fanout SEQ SENT_US" and padding; a WebSocket text frame, an SSE event or a stream chunk: --protocol ws, wss, sse or stream): clients of c1m time its delivery (c1m probe --broadcast-every does the same inside a probe)', helpValue: 'DURATION'}),
    'broadcast-size': Flags.string({description: 'bytes in each --broadcast-every message (48 bytes to 64KiB)', default: '64', helpValue: 'SIZE'}),
    'reuse-port': Flags.boolean({description: 'every worker on --port itself, sharing it with SO_REUSEPORT (native engine); the kernel spreads connections by hash, not exactly evenly'}),
  }

  async run(): Promise<ServerRunResult> {
    const {flags} = await this.parse(Server)
    const request = resolveServerRequest(flags, {hardNofile: readHardNofile(hostRoot('/')), nativeTls: hasOpenSsl()})
    if (request instanceof C1mError) throw request
    for (const note of request.notes) this.note(note)
    const {protocol, host, port, reusePort, workers, durationMs, intervalMs} = request
    const prepared = withProtocol(await prepareEngine(request.engine, Boolean(protocol.tls)), protocol)
    const broadcastArgs = request.broadcast ? ['--broadcast-every', String(request.broadcast.everyMs), '--broadcast-size', String(request.broadcast.size)] : []
    const programs = {...prepared, server: {...prepared.server, args: [...prepared.server.args, ...serverAppArgs(request.app), ...broadcastArgs]}}
    const stop = abortOnSignals((name) => progress(`${name}: stopping`))
    try {
      const result = await runServer({programs, host, port, reusePort, workers, backlog: LISTEN_BACKLOG, durationMs, intervalMs, progress, signal: stop.signal, app: request.app?.name})
      if (!this.jsonEnabled()) {
        this.log(`served ${result.accepted} connections over ${result.seconds} s (peak ${result.peakOpen} open, ${result.rejected} rejected, ${result.bytesEchoed} bytes echoed)`)
        const {app: served} = result
        if (served) this.log(`${served.name}: ${served.sessions} sessions joined, ${served.refused} refused, ${served.heartbeats} heartbeats answered, ${served.timeouts} closed for a missed heartbeat, ${served.events} events answered`)
      }
      if (result.broadcast && !this.jsonEnabled()) this.log(`broadcast ${result.broadcast.broadcasts} times: ${result.broadcast.sent} messages sent to connections`)
      if (result.rejected > 0) this.note(`${result.rejected} connections were refused because a worker ran out of file descriptors; run more --workers`)
      return result
    } finally {
      stop.release()
    }
  }
}
