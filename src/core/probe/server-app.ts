import {usageError} from '../errors.js'
import type {BundledProtocol} from './protocol.js'

/**
 * The application dialects the bundled native server speaks over WebSocket (`server --app`, and a
 * probe's bundled server when its clients speak one): Socket.IO over Engine.IO 4, and Phoenix
 * channels with the V2 JSON serializer. probes/server-socketio.h and probes/server-phoenix.h say
 * what each answers.
 */
export const SERVER_APPS = ['socketio', 'phoenix'] as const
export type ServerAppName = (typeof SERVER_APPS)[number]

export interface ServerApp {
  name: ServerAppName
  /** socketio: the server pings this long after the open and after each pong (Engine.IO's pingInterval). */
  pingIntervalMs?: number
  /** socketio: a connection whose pong has not come this long after the ping is closed (pingTimeout). */
  pingTimeoutMs?: number
  /** phoenix: a socket that sends nothing for this long is closed (Phoenix's transport timeout). */
  idleTimeoutMs?: number
}

/** The frameworks' own defaults: Engine.IO's pingInterval and pingTimeout, Phoenix's socket timeout. */
export const SERVER_APP_DEFAULTS = {pingIntervalMs: 25_000, pingTimeoutMs: 20_000, idleTimeoutMs: 60_000} as const

/** Where each dialect is served: the path its framework's client opens by default. */
export const SERVER_APP_PATHS: Record<ServerAppName, string> = {
  socketio: '/socket.io/?EIO=4&transport=websocket',
  phoenix: '/socket/websocket?vsn=2.0.0',
}

/** The periods given on the command line (undefined: not given). */
export interface ServerAppPeriods {
  pingIntervalMs?: number
  pingTimeoutMs?: number
  idleTimeoutMs?: number
}

/**
 * The dialect of `server --app` with its periods, checked against the protocol: a dialect lives on
 * ws or wss, and each period belongs to one dialect.
 */
export function serverApp(name: ServerAppName | undefined, protocol: BundledProtocol, periods: ServerAppPeriods): ServerApp | undefined {
  const socketio = [periods.pingIntervalMs !== undefined && '--ping-interval', periods.pingTimeoutMs !== undefined && '--ping-timeout'].filter(Boolean)
  const phoenix = periods.idleTimeoutMs === undefined ? [] : ['--idle-timeout']
  const stray = name === 'socketio' ? phoenix : name === 'phoenix' ? socketio : [...socketio, ...phoenix]
  if (stray.length > 0) {
    const owner = stray[0] === '--idle-timeout' ? 'phoenix' : 'socketio'
    throw usageError(`${stray.join(' and ')} ${stray.length > 1 ? 'are' : 'is'} for --app ${owner}`, `add --app ${owner}, or drop ${stray.join(' and ')}`)
  }
  if (name === undefined) return undefined
  if (protocol !== 'ws' && protocol !== 'wss') throw usageError(`--app ${name} is served over WebSocket, not --protocol ${protocol}`, 'use --protocol ws or wss, or drop --protocol')
  if (name === 'phoenix') return {name, idleTimeoutMs: periods.idleTimeoutMs ?? SERVER_APP_DEFAULTS.idleTimeoutMs}
  return {name, pingIntervalMs: periods.pingIntervalMs ?? SERVER_APP_DEFAULTS.pingIntervalMs, pingTimeoutMs: periods.pingTimeoutMs ?? SERVER_APP_DEFAULTS.pingTimeoutMs}
}

/** The server program's arguments for a dialect (after --protocol ws). */
export function serverAppArgs(app: ServerApp | undefined): string[] {
  if (!app) return []
  const periods = app.name === 'phoenix'
    ? ['--idle-timeout', String(app.idleTimeoutMs ?? SERVER_APP_DEFAULTS.idleTimeoutMs)]
    : ['--ping-interval', String(app.pingIntervalMs ?? SERVER_APP_DEFAULTS.pingIntervalMs), '--ping-timeout', String(app.pingTimeoutMs ?? SERVER_APP_DEFAULTS.pingTimeoutMs)]
  return ['--app', app.name, ...periods]
}

/**
 * The bundled server's dialect for a probe whose clients open `app`'s sessions (probe --app without
 * --target), with the frameworks' default periods; undefined when the bundled server does not speak it.
 */
export function bundledServerApp(app: string | undefined): ServerApp | undefined {
  if (app !== 'socketio' && app !== 'phoenix') return undefined
  return serverApp(app, 'ws', {})
}
