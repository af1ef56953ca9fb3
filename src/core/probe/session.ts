import {DURATION_FLAGS, parseBoundedDuration} from '../duration.js'
import {usageError} from '../errors.js'
import {formatCount} from '../units.js'
import type {Protocol} from './protocol.js'

// Application sessions (`--app`, issue 23): the client opens a session the way the framework's own
// client does, and a connection counts only once the server accepted it. The engines speak them
// (probes/client-app.h, probes/node-app.mjs); here are the flags' checks, the engines' arguments
// and the words of the report.

export const APPS = ['generic', 'socketio', 'graphql-ws', 'phoenix', 'stomp', 'nats'] as const
export type AppName = (typeof APPS)[number]

/** The session a run's clients open over the protocol. */
export interface AppSession {
  app: AppName
  /** generic: messages sent once open (or after the greeting), {n} and {id} replaced. */
  send?: string[]
  /** generic: the message that accepts the session: text equal to it, or /REGEX/. */
  expect?: string
  /** generic: 'MATCH=>ANSWER' (MATCH text or /REGEX/), answered at any time. */
  reply?: string[]
  /** generic: the server talks first. */
  greeting?: boolean
  /** socketio */
  namespace?: string
  /** socketio (the CONNECT's auth payload), nats (CONNECT's user, pass, auth_token): JSON, secret. */
  auth?: string
  eio?: 3 | 4
  /** graphql-ws: connection_init's payload (JSON, secret), and one subscription's query. */
  initPayload?: string
  subscribe?: string
  /** phoenix: the channel joined. */
  topic?: string
  /** stomp: SUBSCRIBE's destination, and CONNECT's login (USER:PASS, secret). */
  destination?: string
  login?: string
  /** nats: SUB's subject. */
  subject?: string
  /** phoenix: seconds between heartbeats (30 unless set); stomp: the heart-beat offered, in seconds (10). */
  heartbeatEvery?: number
  /** socketio, phoenix: the event --publish sends (message, new_msg unless set). */
  event?: string
}

export interface SessionFlags {
  app?: string
  send?: string[]
  expect?: string
  reply?: string[]
  greeting?: boolean
  namespace?: string
  auth?: string
  eio?: string
  'init-payload'?: string
  subscribe?: string
  topic?: string
  destination?: string
  login?: string
  subject?: string
  'heartbeat-every'?: string
  event?: string
}

/** Which dialect each option belongs to (generic's also imply --app generic). */
const OPTION_OF: Record<string, AppName[]> = {
  send: ['generic'], expect: ['generic'], reply: ['generic'], greeting: ['generic'],
  namespace: ['socketio'], auth: ['socketio', 'nats'], eio: ['socketio'],
  'init-payload': ['graphql-ws'], subscribe: ['graphql-ws'], topic: ['phoenix'],
  destination: ['stomp'], login: ['stomp'], subject: ['nats'], 'heartbeat-every': ['phoenix', 'stomp'],
  event: ['socketio', 'phoenix'],
}

/** Event names the framework keeps for itself: a client's event of that name is not a chat message. */
const RESERVED_EVENTS: Partial<Record<AppName, (name: string) => boolean>> = {
  socketio: (name) => ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'].includes(name),
  phoenix: (name) => name.startsWith('phx_'),
}

/** --event: 1 to 100 printable ASCII, no spaces, quotes or backslashes, not one the framework keeps. */
function checkEvent(app: AppName, event: string): void {
  if (!/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/.test(event)) throw usageError(`--event must be 1 to 100 printable ASCII characters without spaces, quotes or backslashes, got ${JSON.stringify(event.slice(0, 60))}`, `e.g. --event ${app === 'phoenix' ? 'new_msg' : 'message'}`)
  if (RESERVED_EVENTS[app]?.(event)) throw usageError(`--event ${event} is an event ${app === 'phoenix' ? 'Phoenix' : 'Socket.IO'} keeps for itself, not a message a room relays`, `e.g. --event ${app === 'phoenix' ? 'new_msg' : 'message'}`)
}

/** The paths the frameworks' clients use when the target's URL path is /. */
const DEFAULT_PATHS: Partial<Record<AppName, (session: AppSession) => string>> = {
  socketio: (s) => `/socket.io/?EIO=${s.eio ?? 4}&transport=websocket`,
  phoenix: () => '/socket/websocket?vsn=2.0.0',
}

const regexOf = (text: string) => (text.length > 2 && text.startsWith('/') && text.endsWith('/') ? text.slice(1, -1) : undefined)

function checkText(flag: string, text: string, match = false): void {
  if (text.length > 2000 || /[\0\r\n]/.test(text)) throw usageError(`--${flag} must be at most 2000 characters on one line, got ${JSON.stringify(text.slice(0, 60))}`)
  const re = match ? regexOf(text) : undefined
  if (re === undefined) return
  try {
    new RegExp(re)
  } catch (error) {
    throw usageError(`--${flag} ${text}: not a regular expression (${(error as Error).message})`, 'write /REGEX/ in POSIX extended syntax, or plain text to match a whole message')
  }
}

function checkJson(flag: string, text: string): void {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    value = undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || text.length > 1000) throw usageError(`--${flag} must be a JSON object of at most 1000 characters`, `e.g. --${flag} '{"token":"abc"}'`)
}

/**
 * The session the flags ask for, checked against the protocol: the protocol with it, and the
 * framework's default path when the target's is /.
 */
export function withSession(protocol: Protocol, flags: SessionFlags): Protocol {
  const given = Object.keys(OPTION_OF).filter((name) => {
    const value = flags[name as keyof SessionFlags]
    return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== false
  })
  const app = (flags.app ?? (given.some((name) => OPTION_OF[name][0] === 'generic') ? 'generic' : undefined)) as AppName | undefined
  if (!app) {
    if (given.length > 0) throw usageError(`--${given[0]} is for --app ${OPTION_OF[given[0]].join(' or --app ')}`, `add --app ${OPTION_OF[given[0]][0]}`)
    return protocol
  }
  for (const name of given) {
    if (!OPTION_OF[name].includes(app)) throw usageError(`--${name} is for --app ${OPTION_OF[name].join(' or --app ')}, not --app ${app}`, `drop --${name}`)
  }
  const lives = app === 'generic' || app === 'nats' ? ['tcp', 'ws'] : ['ws']
  if (!lives.includes(protocol.kind)) {
    const where = lives.length > 1 ? 'raw TCP or WebSocket (tcp://, tls://, ws://, wss://)' : 'WebSocket (ws://, wss://)'
    throw usageError(`--app ${app} lives on ${where}, not on a ${protocol.kind} target`, `give a ${lives.length > 1 ? 'tcp://' : 'ws://'} target`)
  }
  for (const text of flags.send ?? []) checkText('send', text)
  if (flags.expect !== undefined) checkText('expect', flags.expect, true)
  for (const reply of flags.reply ?? []) {
    const arrow = reply.indexOf('=>')
    if (arrow < 1) throw usageError(`--reply must be 'MATCH=>ANSWER', got ${JSON.stringify(reply.slice(0, 60))}`, "e.g. --reply '2=>3' or --reply '/^PING/=>PONG'")
    checkText('reply', reply.slice(0, arrow), true)
    checkText('reply', reply.slice(arrow + 2))
  }
  if (flags.auth !== undefined) checkJson('auth', flags.auth)
  if (flags['init-payload'] !== undefined) checkJson('init-payload', flags['init-payload'])
  if (flags.namespace !== undefined && !/^\/[\x21-\x2b\x2d-\x7e]{0,199}$/.test(flags.namespace)) throw usageError(`--namespace must start with / and be printable ASCII without commas or spaces, got "${flags.namespace}"`, 'e.g. --namespace /chat')
  if (flags.subject !== undefined && !/^[\x21-\x7e]{1,255}$/.test(flags.subject)) throw usageError(`--subject must be a NATS subject without spaces, got "${flags.subject}"`, 'e.g. --subject news.all')
  for (const name of ['subscribe', 'topic', 'destination', 'login'] as const) {
    const value = flags[name]
    if (value !== undefined && (value.length === 0 || value.length > 2000 || /[\0\r\n]/.test(value))) throw usageError(`--${name} must be 1 to 2000 characters on one line`)
  }
  if (flags.event !== undefined) checkEvent(app, flags.event)
  if (flags.login !== undefined && !flags.login.includes(':')) throw usageError('--login must be USER:PASS', 'e.g. --login guest:guest')
  const every = flags['heartbeat-every']
  const heartbeatMs = every === undefined ? undefined : parseBoundedDuration(every, 'heartbeat-every', DURATION_FLAGS['app-period'])
  const session: AppSession = {
    app,
    ...(flags.send?.length ? {send: flags.send} : {}),
    ...(flags.expect === undefined ? {} : {expect: flags.expect}),
    ...(flags.reply?.length ? {reply: flags.reply} : {}),
    ...(flags.greeting ? {greeting: true} : {}),
    ...(flags.namespace === undefined ? {} : {namespace: flags.namespace}),
    ...(flags.auth === undefined ? {} : {auth: flags.auth}),
    ...(flags.eio === undefined ? {} : {eio: Number(flags.eio) as 3 | 4}),
    ...(flags['init-payload'] === undefined ? {} : {initPayload: flags['init-payload']}),
    ...(flags.subscribe === undefined ? {} : {subscribe: flags.subscribe}),
    ...(flags.topic === undefined ? {} : {topic: flags.topic}),
    ...(flags.destination === undefined ? {} : {destination: flags.destination}),
    ...(flags.login === undefined ? {} : {login: flags.login}),
    ...(flags.subject === undefined ? {} : {subject: flags.subject}),
    ...(heartbeatMs === undefined ? {} : {heartbeatEvery: heartbeatMs / 1000}),
    ...(flags.event === undefined ? {} : {event: flags.event}),
  }
  const defaultPath = DEFAULT_PATHS[app]
  if (protocol.kind === 'ws' && protocol.path === '/' && defaultPath) return {...protocol, path: defaultPath(session), session}
  return {...protocol, session}
}

/** A --expect or --reply text as the engines take it: plain, or its regex under the -regex flag. */
function matchArgs(flag: string, text: string, rest = ''): string[] {
  const re = regexOf(text)
  return re === undefined ? [flag, text + rest] : [`${flag}-regex`, re + rest]
}

/** The engines' arguments for a session (both engines take the same). */
export function sessionArgs(session: AppSession | undefined): string[] {
  if (!session) return []
  const pairs: Array<[string, string | number | undefined]> = [
    ['--namespace', session.namespace], ['--auth', session.auth], ['--eio', session.eio],
    ['--init-payload', session.initPayload], ['--subscribe-query', session.subscribe], ['--topic', session.topic],
    ['--destination', session.destination], ['--login', session.login], ['--subject', session.subject],
    ['--heartbeat-every', session.heartbeatEvery], ['--event', session.event],
  ]
  return [
    '--app', session.app,
    ...(session.send ?? []).flatMap((text) => ['--send', text]),
    ...(session.expect === undefined ? [] : matchArgs('--expect', session.expect)),
    ...(session.reply ?? []).flatMap((reply) => {
      const arrow = reply.indexOf('=>')
      return matchArgs('--reply', reply.slice(0, arrow), reply.slice(arrow))
    }),
    ...(session.greeting ? ['--greeting'] : []),
    ...pairs.flatMap(([flag, value]) => (value === undefined ? [] : [flag, String(value)])),
  ]
}

/** The session's options for the report: all but the secret ones (auth, init payload, login). */
export function sessionOptions(session: AppSession): Record<string, unknown> {
  const {auth, initPayload, login, ...rest} = session
  const options: Record<string, unknown> = {...rest}
  delete options.app
  return {...options, ...(auth ? {auth: '(given)'} : {}), ...(initPayload ? {initPayload: '(given)'} : {}), ...(login ? {login: `${login.split(':')[0]}:(given)`} : {})}
}

/** What a run's sessions did, as the report carries it. */
export interface SessionReport {
  app: AppName
  options: Record<string, unknown>
  /** Sessions the server accepted, and refused (in the application's terms: `error`). */
  accepted: number
  refused: number
  /** Server heartbeats answered and our own heartbeats acknowledged; our heartbeats sent. */
  heartbeatsAnswered: number
  heartbeatsSent: number
  error?: string
}

/** What accepting a session is called in each framework. */
function joined(session: SessionReport): string {
  const o = session.options
  if (session.app === 'socketio') return `joined namespace ${typeof o.namespace === 'string' ? o.namespace : '/'}`
  if (session.app === 'graphql-ws') return `acknowledged${o.subscribe ? ' and subscribed' : ''}`
  if (session.app === 'phoenix') return `joined ${typeof o.topic === 'string' ? o.topic : 'room:lobby'}`
  if (session.app === 'stomp') return `CONNECTED${o.destination ? ` and subscribed to ${String(o.destination)}` : ''}`
  if (session.app === 'nats') return `connected (PONG)${o.subject ? `, subscribed to ${String(o.subject)}` : ''}`
  return 'accepted'
}

/** The text's line: "Sessions: socketio, 2,000 joined namespace /, 0 refused, 4,000 heartbeats answered". */
export function describeSessions(session: SessionReport): string {
  const sent = session.heartbeatsSent ? ` (${formatCount(session.heartbeatsSent)} sent)` : ''
  const why = session.error ? ` (${session.error})` : ''
  return `Sessions: ${session.app}, ${formatCount(session.accepted)} ${joined(session)}, ${formatCount(session.refused)} refused${why}, ${formatCount(session.heartbeatsAnswered)} heartbeats answered${sent}`
}
