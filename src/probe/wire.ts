import {C1mError} from '../core/errors.js'
import type {Engine} from '../core/probe/run-report.js'

/**
 * The JSON lines the probe programs print, one per command, declared once: the engines (native C
 * and node) print the same keys, and docs/engine-wire.md says what each field means. A field is
 * added here, in its event's table, and its type follows; every line read is checked against the
 * table (see parseReply), so a key misspelt on either side is a protocol error, never a 0.
 */

/** The kinds of a field's value; "?" marks a field only some replies carry. */
type Kind = 'number' | 'string' | 'boolean' | 'number|null' | 'string?' | 'number?'
type ValueOf<K extends Kind> = K extends 'number' | 'number?' ? number : K extends 'boolean' ? boolean : K extends 'number|null' ? number | null : string
type Fields = Readonly<Record<string, Kind>>
type Optional<F extends Fields> = {[K in keyof F]: F[K] extends `${string}?` ? K : never}[keyof F]
/** The record a table of fields describes. */
type RecordOf<F extends Fields, E extends string> = {event: E} & {[K in Exclude<keyof F, Optional<F>>]: ValueOf<F[K]>} & {
  [K in Optional<F>]?: ValueOf<F[K]>
}

/** Which program a line came from: its "count" means different things. */
export type Role = 'client' | 'server'

const SERVER_READY = {pid: 'number', port: 'number', nofile: 'number|null', v6only: 'number', batch: 'number'} as const
const SERVER_COUNT = {
  open: 'number',
  peakOpen: 'number',
  accepted: 'number',
  closed: 'number',
  rejected: 'number',
  bytes: 'number',
  // With --app (server-app.h): sessions joined, refused, heartbeats answered, sockets timed out, events.
  sessions: 'number?',
  refused: 'number?',
  heartbeats: 'number?',
  timeouts: 'number?',
  events: 'number?',
  // Once broadcasting (probes/broadcast.h): broadcasts, messages sent, "SEQ:SENT,..." of the last 1024.
  broadcasts: 'number?',
  broadcastSent: 'number?',
  broadcastSends: 'string?',
} as const
const CLIENT_READY = {pid: 'number', nofile: 'number|null', tls: 'boolean', batch: 'number'} as const
const CLIENT_COUNT = {
  target: 'number',
  established: 'number',
  failed: 'number',
  peerClosed: 'number',
  refused: 'number',
  unexpected: 'number',
  attempts: 'number',
  addrInUse: 'number',
  sourcesLeft: 'boolean',
  pushedBytes: 'number',
  pushedEvents: 'number',
  pingsAnswered: 'number',
  keepaliveAnswers: 'number',
  deflateAccepted: 'number',
  deflateResponse: 'string',
  sessionsAccepted: 'number',
  sessionsRefused: 'number',
  heartbeatsAnswered: 'number',
  heartbeatsSent: 'number',
  sessionError: 'string',
  closeCodes: 'string',
  error: 'string',
  firstBytes: 'string',
} as const
const CLIENT_OPEN = {...CLIENT_COUNT, openHist: 'string', openMaxMs: 'number', tlsVersion: 'string?', tlsCipher: 'string?', alpn: 'string?'} as const
const CLIENT_ECHO = {
  sent: 'number',
  echoed: 'number',
  mismatched: 'number',
  closed: 'number',
  writeFailed: 'number',
  established: 'number',
  compressed: 'number',
  firstBytes: 'string',
} as const
const CLIENT_TRAFFIC = {
  size: 'number',
  intervalMs: 'number',
  rounds: 'number',
  bytesSent: 'number',
  bytesReceived: 'number',
  writeFailed: 'number',
  established: 'number',
  // Each message's echo latency from when it was due (hist.h's buckets), lost, the --rate (0: rounds).
  latencyHist: 'string',
  latencyMaxMs: 'number',
  lost: 'number',
  rate: 'number',
} as const
// "latency": the traffic's echo latency since the last "latency" (a window), traffic flowing on.
const CLIENT_LATENCY = {latencyHist: 'string', latencyMaxMs: 'number', lost: 'number'} as const

// The fan-out messages received (probes/client-fanout.h): "SEQ SENT_US GOT MIN_MS MAX_MS HIST;...".
const CLIENT_FANOUT = {received: 'number', late: 'number', broadcasts: 'string'} as const
// "publish MS TEXT" (probes/client-publish.h): messages published and failed since the last start.
const CLIENT_PUBLISH = {published: 'number', failed: 'number'} as const

/** Every event each program prints, with its fields ("error" is read apart: it fails the command). */
export const WIRE = {
  server: {ready: SERVER_READY, count: SERVER_COUNT, detach: SERVER_COUNT, close: SERVER_COUNT, broadcast: SERVER_COUNT},
  client: {ready: CLIENT_READY, open: CLIENT_OPEN, count: CLIENT_COUNT, detach: CLIENT_COUNT, close: CLIENT_COUNT, echo: CLIENT_ECHO, traffic: CLIENT_TRAFFIC, latency: CLIENT_LATENCY, fanout: CLIENT_FANOUT, publish: CLIENT_PUBLISH},
} as const

type Wire = typeof WIRE
export type ServerReady = RecordOf<Wire['server']['ready'], 'ready'>
export type ServerCount = RecordOf<Wire['server']['count'], 'count'>
export type ClientReady = RecordOf<Wire['client']['ready'], 'ready'>
export type ClientCount = RecordOf<Wire['client']['count'], 'count'>
export type ClientDetachReply = RecordOf<Wire['client']['detach'], 'detach'>
export type ClientCloseReply = RecordOf<Wire['client']['close'], 'close'>
export type OpenReply = RecordOf<Wire['client']['open'], 'open'>
export type EchoReply = RecordOf<Wire['client']['echo'], 'echo'>
export type TrafficReply = RecordOf<Wire['client']['traffic'], 'traffic'>
export type ServerDetachReply = RecordOf<Wire['server']['detach'], 'detach'>
export type ServerCloseReply = RecordOf<Wire['server']['close'], 'close'>
export type BroadcastReply = RecordOf<Wire['server']['broadcast'], 'broadcast'>
export type LatencyReply = RecordOf<Wire['client']['latency'], 'latency'>
export type FanoutReply = RecordOf<Wire['client']['fanout'], 'fanout'>
export type PublishReply = RecordOf<Wire['client']['publish'], 'publish'>

/** The replies of a role, by event. */
export interface Replies {
  server: {ready: ServerReady; count: ServerCount; detach: ServerDetachReply; close: ServerCloseReply; broadcast: BroadcastReply}
  client: {ready: ClientReady; open: OpenReply; count: ClientCount; detach: ClientDetachReply; close: ClientCloseReply; echo: EchoReply; traffic: TrafficReply; latency: LatencyReply; fanout: FanoutReply; publish: PublishReply}
}
/** A command's first word is the event of its reply: "open 500" answers with "open". */
export type VerbOf<C extends string> = C extends `${infer V} ${string}` ? V : C
/** What a role answers to a command (for a role that is either, what either answers). */
export type ReplyTo<R extends Role, C extends string> = R extends Role ? (VerbOf<C> extends keyof Replies[R] ? Replies[R][VerbOf<C>] : never) : never
export type AnyReply<R extends Role> = R extends Role ? Replies[R][keyof Replies[R]] : never

/** Where a line came from, for the message when it breaks the protocol. */
export interface LineSource {
  name: string
  role: Role
  engine: Engine
}

function protocolError(from: LineSource, what: string): C1mError {
  return new C1mError('E_PROBE_FAILED', `${from.name} (${from.engine} ${from.role}) broke the probe protocol: ${what}`, 'the probe programs and c1m are out of step: reinstall c1m, or report it as a bug')
}

/**
 * One line of a probe program's stdout, checked against its event's fields: every field present,
 * each of its kind. An "error" line fails with its message; `expect` names the event the command
 * answers with. The record returned is the one parsed (keys the table does not list are kept).
 */
export function parseReply<R extends Role>(line: string, from: LineSource & {role: R}, expect?: string): AnyReply<R> {
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    throw new C1mError('E_PROBE_FAILED', `${from.name} wrote an unreadable line: ${line.slice(0, 200)}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw protocolError(from, `a line that is not a JSON object: ${line.slice(0, 200)}`)
  const record = parsed as Record<string, unknown>
  const event = record.event
  if (event === 'error') throw new C1mError('E_PROBE_FAILED', `${from.name}: ${String(record.message)}`)
  const events: Record<string, Fields> = WIRE[from.role]
  if (typeof event !== 'string' || !Object.hasOwn(events, event)) throw protocolError(from, `an unknown event ${JSON.stringify(event)}`)
  if (expect !== undefined && event !== expect) throw protocolError(from, `"${event}" where "${expect}" was due`)
  for (const [key, kind] of Object.entries(events[event])) {
    const value = record[key]
    const optional = kind.endsWith('?')
    if (value === undefined && optional) continue
    const ok = kind === 'number|null' ? value === null || Number.isFinite(value) : kind.startsWith('number') ? Number.isFinite(value) : typeof value === kind.replace('?', '')
    if (!ok) throw protocolError(from, `its "${event}" reply has ${value === undefined ? 'no' : `a ${typeof value}`} "${key}" where a ${kind.replace('?', '')} is due`)
  }
  return record as AnyReply<R>
}

type NumberKeys<T> = {[K in keyof T]-?: T[K] extends number ? K : never}[keyof T]

/** A number field added over several programs' replies. */
export function total<T>(replies: T[], key: NumberKeys<T>): number {
  return replies.reduce((sum, reply) => sum + (reply[key] as number), 0)
}
