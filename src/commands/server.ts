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
import {abortOnSignals} from '../probe/wait.js'
import {readHardNofile} from '../host/read/limits.js'

export default class Server extends C1mCommand {
  static override description = help.description

  static override examples = help.examples

  static override flags = {
    engine: engineFlag(),
    host: Flags.string({description: 'IPv4 address to listen on', default: '127.0.0.1', helpValue: 'IP'}),
    port: Flags.integer({char: 'p', description: 'port of the first worker; 0 lets the kernel pick one per worker', default: 9000, min: 0, max: 65_535, helpValue: 'PORT'}),
    workers: Flags.integer({char: 'w', description: 'worker processes (default: enough for --conns, else 1)', min: 1, max: 1024, helpValue: 'N'}),
    conns: connsFlag({description: 'connections to be ready for; sets --workers from the open-file limit'}),
    duration: Flags.string({char: 'd', description: 'how long to run: 30s, 5m, forever', default: 'forever', helpValue: 'DURATION'}),
    interval: Flags.string({description: 'how often to print the connection count', default: '5s', helpValue: 'DURATION'}),
    protocol: bundledProtocolFlag({description: "tcp (raw echo), ws (WebSocket handshake, then every frame echoed), sse (200 text/event-stream and one event, then idle), stream (200 chunked and one chunk, then idle), tls or wss (TCP or WebSocket over TLS, with a key and self-signed certificate made at start); all but tcp need the native engine", default: 'tcp'}),
    'reuse-port': Flags.boolean({description: 'every worker on --port itself, sharing it with SO_REUSEPORT (native engine); the kernel spreads connections by hash, not exactly evenly'}),
  }

  async run(): Promise<ServerRunResult> {
    const {flags} = await this.parse(Server)
    const request = resolveServerRequest(flags, {hardNofile: readHardNofile(hostRoot('/')), nativeTls: hasOpenSsl()})
    if (request instanceof C1mError) throw request
    for (const note of request.notes) this.note(note)
    const {protocol, host, port, reusePort, workers, durationMs, intervalMs} = request
    const programs = withProtocol(await prepareEngine(request.engine, Boolean(protocol.tls)), protocol)
    const stop = abortOnSignals((name) => progress(`${name}: stopping`))
    try {
      const result = await runServer({programs, host, port, reusePort, workers, backlog: LISTEN_BACKLOG, durationMs, intervalMs, progress, signal: stop.signal})
      if (!this.jsonEnabled()) {
        this.log(`served ${result.accepted} connections over ${result.seconds} s (peak ${result.peakOpen} open, ${result.rejected} rejected, ${result.bytesEchoed} bytes echoed)`)
      }
      if (result.rejected > 0) this.note(`${result.rejected} connections were refused because a worker ran out of file descriptors; run more --workers`)
      return result
    } finally {
      stop.release()
    }
  }
}
