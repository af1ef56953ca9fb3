import net from 'node:net'

import {DURATION_FLAGS, parseBoundedDuration} from '../duration.js'
import {type C1mError, usageError} from '../errors.js'
import {chooseEngine} from './choose-engine.js'
import {BROADCAST_PROTOCOLS, broadcastRefusal, parseBroadcast} from './probe-request.js'
import {checkRules, type FlagRule, resolveOrError} from './flag-rules.js'
import {connsPerProcess, planShards} from './plan-shards.js'
import {type BundledProtocol, bundledProtocol, type Protocol} from './protocol.js'
import {type ServerApp, type ServerAppName, serverApp} from './server-app.js'
import type {Engine} from './run-report.js'

// What `c1m server` is asked to do, from its flags: every value parsed and every rule between flags
// checked here, before any process starts. Pure: the open-file limit comes in.

/** The flags of `c1m server`, as oclif parses them (src/commands/server.ts). */
export interface ServerFlags {
  engine: Engine
  host: string
  port: number
  workers?: number
  conns?: number
  duration: string
  interval: string
  protocol?: BundledProtocol
  'reuse-port'?: boolean
  app?: ServerAppName
  'ping-interval'?: string
  'ping-timeout'?: string
  'idle-timeout'?: string
  'broadcast-every'?: string
  'broadcast-size'?: string
}

export interface ServerRequest {
  host: string
  port: number
  reusePort: boolean
  workers: number
  durationMs: number
  intervalMs: number
  protocol: Protocol
  /** --broadcast-every: every worker sends each open WebSocket one timestamped text frame this often. */
  broadcast?: {everyMs: number; size: number}
  /** --app: the dialect the workers speak, with its periods. */
  app?: ServerApp
  engine: Engine
  /** Warnings to show before the server starts. */
  notes: string[]
}

/** The flags with the workers counted: what the rules between flags read. */
interface ServerDraft {
  flags: ServerFlags
  workers: number
}

/** Rules between flags, checked in this order. */
const SERVER_RULES: FlagRule<ServerDraft>[] = [
  {
    breaks: (d) => d.flags['reuse-port'] === true && d.flags.engine !== 'native',
    error: () => usageError('--reuse-port needs --engine native', 'node 20 cannot set SO_REUSEPORT'),
  },
  {
    breaks: (d) => !d.flags['reuse-port'] && d.flags.port !== 0 && d.flags.port + d.workers - 1 > 65_535,
    error: (d) => usageError(`ports ${d.flags.port}-${d.flags.port + d.workers - 1} run past 65535`, 'choose a lower --port'),
  },
]

/** What `c1m server` is asked to do, or the one error it is refused with. */
export function resolveServerRequest(flags: ServerFlags, host: {hardNofile: number; nativeTls: boolean}): ServerRequest | C1mError {
  return resolveOrError(() => resolveServer(flags, host))
}

function resolveServer(flags: ServerFlags, host: {hardNofile: number; nativeTls: boolean}): ServerRequest {
  const listenHost = flags.host.replace(/^\[(.*)\]$/, '$1')
  if (!net.isIP(listenHost)) throw usageError(`--host must be an IPv4 or IPv6 address, got ${JSON.stringify(flags.host.slice(0, 80))}`, 'e.g. --host 0.0.0.0, --host ::1 or --host ::')
  const durationMs = parseBoundedDuration(flags.duration, 'duration', DURATION_FLAGS.duration)
  const intervalMs = parseBoundedDuration(flags.interval, 'interval', DURATION_FLAGS.interval)
  const {conns} = flags
  const needed = conns === undefined ? 1 : planShards({conns, hardNofile: host.hardNofile, sources: {kind: 'kernel'}}).length
  const workers = flags.workers ?? needed
  const notes: string[] = []
  if (workers < needed) notes.push(`${workers} worker(s) hold at most ${workers * connsPerProcess(host.hardNofile)} connections; --conns ${conns} needs ${needed}`)
  checkRules(SERVER_RULES, {flags, workers})
  if (flags['reuse-port'] && conns !== undefined && flags.workers === undefined && workers > 1) {
    notes.push('with --reuse-port the kernel spreads connections by hash: give a worker or two more than --conns needs')
  }
  const protocolName = flags.protocol ?? (flags.app ? 'ws' : 'tcp')
  const period = (flag: 'ping-interval' | 'ping-timeout' | 'idle-timeout') => {
    const text = flags[flag]
    return text === undefined ? undefined : parseBoundedDuration(text, flag, DURATION_FLAGS['app-period'])
  }
  const app = serverApp(flags.app, protocolName, {pingIntervalMs: period('ping-interval'), pingTimeoutMs: period('ping-timeout'), idleTimeoutMs: period('idle-timeout')})
  const protocol = bundledProtocol(protocolName)
  const broadcast = parseBroadcast(flags['broadcast-every'], flags['broadcast-size'])
  if (broadcast && (app || !BROADCAST_PROTOCOLS.includes(protocolName))) throw usageError(broadcastRefusal(app ? `--app ${app.name}` : protocolName), 'add --protocol ws')
  const chosen = chooseEngine(flags.engine, protocol, {bundledServer: true, nativeTls: host.nativeTls})
  if (chosen.note) notes.push(chosen.note)
  return {host: listenHost, port: flags.port, reusePort: flags['reuse-port'] === true, workers, durationMs, intervalMs, protocol, ...(app ? {app} : {}), ...(broadcast ? {broadcast} : {}), engine: chosen.engine, notes}
}
