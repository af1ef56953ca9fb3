import {DURATION_FLAGS, parseBoundedDuration} from '../duration.js'
import {C1mError, usageError} from '../errors.js'
import {sortOutFiles} from '../out-files.js'
import {parseFamily, parseSize} from '../units.js'
import {chooseEngine} from './choose-engine.js'
import {checkRules, type FlagRule, resolveOrError} from './flag-rules.js'
import {type BundledProtocol, bundledProtocol, type HttpMode, isPush, parseTarget, type Protocol, type ProtocolFlags, withProtocolFlags} from './protocol.js'
import {bundledServerApp} from './server-app.js'
import {type SessionFlags, withSession} from './session.js'
import type {Engine, TrafficShape} from './run-report.js'
import {parseMessageSize, TRAFFIC_RULES, trafficShape} from './traffic-rate.js'
import type {FanoutSource} from './fanout.js'

// What `c1m probe` is asked to do, from its flags: every value parsed and every rule between flags
// checked here, before any process starts. Pure: what it needs of the host comes in as ProbeHost.

/** The flags of `c1m probe`, as oclif parses them (src/commands/probe.ts). */
export interface ProbeFlags extends ProtocolFlags, SessionFlags {
  conns: number
  engine: Engine
  steps: number
  out?: string[]
  html?: string
  settle: string
  inflight: number
  'open-timeout': string
  hold: string
  'message-size'?: string
  /** Unset: 1s (traffic-rate.ts). */
  interval?: string
  rate?: string
  'broadcast-every'?: string
  'broadcast-size'?: string
  publish?: string
  'publish-every'?: string
  target?: string
  protocol?: BundledProtocol
  http?: HttpMode
  'server-pid'?: number[]
  'echo-each-step': boolean
  echo: boolean
  'own-ehash': boolean
  netns: boolean
  'client-hosts'?: number
  merge?: string[]
  nat?: boolean
  family?: string
}

/** What the rules need to know of the host. */
export interface ProbeHost {
  /** c1m runs as root (namespaces, simulated client hosts). */
  root: boolean
  /** The native programs can be built with TLS (OpenSSL headers are here). */
  nativeTls: boolean
  /** --target's host name resolved (by the command, in src/host): the address connected to. */
  resolved?: {address: string; family: 4 | 6; name?: string}
}

/** A probe run, every value checked. */
export interface ProbeRun {
  kind: 'run'
  conns: number
  steps: number
  engine: Engine
  /** Warnings to show before the run starts (the engine used instead of the one asked for). */
  notes: string[]
  settleMs: number
  openTimeoutMs: number
  holdMs: number
  inflight: number
  /** --message-size bytes on every connection each --interval, or --rate messages a second spread. */
  traffic?: TrafficShape
  /** --broadcast-every or --publish: one message to every connection this often during the hold. */
  fanout?: FanoutSource
  /** --target: the user's own server, measured with its PID. */
  target?: {host: string; port: number; serverPid: number; serverPids: number[]; name?: string}
  /** The bundled probe over IPv6 (6) in its namespace; a target's family follows its address. */
  family?: 4 | 6
  protocol: Protocol
  /** The echo check runs: asked for, and the server does not push. */
  echo: boolean
  echoEachStep: boolean
  clientHosts?: {count: number; nat: boolean}
  netns: boolean
  ownEhash: boolean
}

/** --merge: the client hosts' result files added up into one run; starts nothing. */
export interface ProbeMerge {
  kind: 'merge'
  files: string[]
}

export type ProbeRequest = ProbeRun | ProbeMerge

/** The flags with their values parsed, and the host: what the rules between flags read. */
type ProbeInput = ProbeFlags & ProbeHost & {holdMs: number; messageSize?: number; broadcast?: {everyMs: number; size: number}}

/** The run as far as the target and protocol: what the rules about the protocol read. */
interface ProbeDraft {
  flags: ProbeFlags
  traffic?: TrafficShape
  target?: {host: string; port: number}
  protocol: Protocol
  push: boolean
}

/** Rules between flags, checked in this order before the target and protocol are read. */
const FLAG_RULES: FlagRule<ProbeInput>[] = [
  {
    // oclif's dependsOn says so first; the rule keeps the request whole for any other caller.
    breaks: (f) => Boolean(f.target) && (f['server-pid'] ?? []).length === 0,
    error: () => usageError('--target needs --server-pid, the PID of the server listening there', 'add --server-pid PID'),
  },
  {
    breaks: (f) => f.messageSize !== undefined && f.holdMs <= 0,
    error: () => usageError('--message-size sends traffic during the hold: give --hold too', 'add --hold 30s'),
  },
  {
    breaks: (f) => f.messageSize !== undefined && !f.echo,
    error: () => usageError('--message-size sends echo traffic, and --no-echo promises the server not one byte', 'drop one of them'),
  },
  {
    breaks: (f) => f.publish !== undefined && f.broadcast !== undefined,
    error: () => usageError('--publish sends through your server and --broadcast-every makes the bundled server send: one or the other', 'drop one of them'),
  },
  {
    breaks: (f) => f.broadcast !== undefined && f.holdMs <= 0,
    error: () => usageError('--broadcast-every broadcasts during the hold: give --hold too', 'add --hold 30s'),
  },
  {
    breaks: (f) => f.broadcast !== undefined && Boolean(f.target),
    error: () => usageError('--broadcast-every makes the bundled server broadcast; your own server (--target) is not told to', 'drop --target, or have your server push and count it with --publish (c1m client)'),
  },
  {
    breaks: (f) => f.broadcast !== undefined && (f.app !== undefined || !BROADCAST_PROTOCOLS.includes(f.protocol ?? 'tcp')),
    error: (f) => usageError(broadcastRefusal(f.app ? `--app ${f.app}` : (f.protocol ?? 'tcp')), 'add --protocol ws'),
  },
  {
    breaks: (f) => f.publish !== undefined && !f.target,
    error: () => usageError('--publish sends through your own server (--target); the bundled server broadcasts with --broadcast-every', 'give --target, or use --broadcast-every'),
  },
  {
    breaks: (f) => f.publish !== undefined && f.holdMs <= 0,
    error: () => usageError('--publish publishes during the hold: give --hold too', 'add --hold 30s'),
  },
  {
    breaks: (f) => f.conns < f.steps,
    error: (f) => usageError(`--conns ${f.conns} is fewer than --steps ${f.steps}`, 'ask for more connections or fewer steps'),
  },
  {
    breaks: (f) => Boolean(f.http) && !f.target,
    error: () => usageError('--http is for an http:// --target', 'give --target http://IP:PORT/PATH'),
  },
  {
    breaks: (f) => !f.target && Boolean(f.ca || f.insecure || f.servername),
    error: () => usageError('--ca, --insecure and --servername are for a --target over TLS; the bundled server makes its own certificate for each run', 'drop them, or give --target'),
  },
  {
    breaks: (f) => f.family === '6' && !f.target && (!f.netns || !f.root),
    error: () => usageError('--family 6 runs the bundled probe over a ULA /64 on lo in a namespace of its own, which needs root and the namespace', 'run it as root without --no-netns'),
  },
  {
    breaks: (f) => f['client-hosts'] !== undefined && Boolean(f.target),
    error: () => usageError('--client-hosts simulates client hosts around the bundled server; with --target the clients are on this host', 'drop --client-hosts, or drop --target'),
  },
  {
    breaks: (f) => f['client-hosts'] !== undefined && !f.netns,
    error: () => usageError('--client-hosts needs network namespaces, and --no-netns asks for none', 'drop --no-netns'),
  },
  {
    breaks: (f) => f['client-hosts'] !== undefined && !f.root,
    error: () => new C1mError('E_NOT_ROOT', '--client-hosts makes network namespaces, which needs root', 'run it with sudo'),
  },
  {
    breaks: (f) => f['client-hosts'] !== undefined && f.conns < f['client-hosts'],
    error: (f) => usageError(`--conns ${f.conns} is fewer than --client-hosts ${f['client-hosts']}`, 'ask for more connections or fewer hosts'),
  },
]

/** Rules about the protocol the flags pick, checked in this order once it is known. */
const PROTOCOL_RULES: FlagRule<ProbeDraft>[] = [
  {
    breaks: (d) => d.target !== undefined && d.flags.protocol !== undefined,
    error: (d) => usageError('--protocol is for the bundled server; with --target the scheme picks it', `use --target ws://${d.target?.host}:${d.target?.port}/ for WebSocket`),
  },
  {
    breaks: (d) => d.traffic !== undefined && d.push,
    error: () => usageError('--message-size is echo traffic (raw TCP, WebSocket frames, MQTT PUBLISHes), not for a server that pushes', 'drop --message-size for this run'),
  },
  {
    breaks: (d) => d.flags.publish === undefined && d.protocol.session?.event !== undefined,
    error: () => usageError('--event names the event --publish sends: give --publish too', 'add --publish TEXT, or drop --event'),
  },
  {
    breaks: (d) => d.flags.publish !== undefined && publishRefusal(d.protocol) !== undefined,
    error: (d) => usageError(`--publish: ${publishRefusal(d.protocol)}`, 'see c1m probe --help for --publish'),
  },
  {
    breaks: (d) => d.flags['echo-each-step'] && (!d.flags.echo || d.push),
    error: (d) => usageError(`--echo-each-step needs the echo check, and ${d.push ? 'a server that pushes gets none' : '--no-echo turns it off'}`, 'drop --echo-each-step'),
  },
]

/** What `c1m probe` is asked to do, or the one error it is refused with. */
export function resolveProbeRequest(flags: ProbeFlags, host: ProbeHost): ProbeRequest | C1mError {
  return resolveOrError(() => (flags.merge ? resolveMerge(flags.merge, flags.out) : resolveRun(flags, host)))
}

function resolveMerge(files: string[], outs: string[] | undefined): ProbeMerge {
  const {html} = sortOutFiles(outs)
  if (html) throw usageError(`--merge writes JSON only; --out ${html} asks for HTML`, 'name the --out file with .json')
  return {kind: 'merge', files}
}

function resolveRun(flags: ProbeFlags, host: ProbeHost): ProbeRun {
  const settleMs = parseBoundedDuration(flags.settle, 'settle', DURATION_FLAGS.settle)
  const openTimeoutMs = parseBoundedDuration(flags['open-timeout'], 'open-timeout', DURATION_FLAGS['open-timeout'])
  const holdMs = parseBoundedDuration(flags.hold, 'hold', DURATION_FLAGS['probe-hold'])
  const messageSize = flags['message-size'] === undefined ? undefined : parseMessageSize(flags['message-size'])
  checkRules(TRAFFIC_RULES, {...flags, messageSize})
  const broadcast = parseBroadcast(flags['broadcast-every'], flags['broadcast-size'])
  checkRules(FLAG_RULES, {...flags, ...host, holdMs, messageSize, broadcast})

  const traffic = messageSize === undefined ? undefined : trafficShape(messageSize, flags.interval, flags.rate)
  const published = parsePublish(flags.publish, flags['publish-every'])
  const parsed = flags.target ? parseTarget(flags.target, '127.0.0.1:8080', flags.http) : undefined
  // The bundled server speaks socketio and phoenix over WebSocket: ws unless --protocol says wss.
  const bundledName = flags.protocol ?? (bundledServerApp(flags.app) ? 'ws' : 'tcp')
  const shaped = withSession(withProtocolFlags(parsed?.protocol ?? bundledProtocol(bundledName), flags, Boolean(parsed)), flags)
  if (shaped.session && !parsed && !bundledServerApp(shaped.session.app)) {
    throw usageError(`--app ${shaped.session.app} is for your own server (--target); the bundled server speaks --app socketio and phoenix`, 'give --target and --server-pid')
  }
  // MQTT traffic is published to a topic of each connection's own, which it subscribes to when it opens.
  const protocol: Protocol = shaped.kind === 'mqtt' && traffic ? {...shaped, echo: true} : shaped
  // A server that pushes does not echo: no check is sent, and what it pushes during --hold is counted.
  const push = isPush(protocol)
  checkRules(PROTOCOL_RULES, {flags, traffic, target: parsed, protocol, push})
  const chosen = chooseEngine(flags.engine, protocol, {bundledServer: !parsed, nativeTls: host.nativeTls})
  // NATS does not send a publisher its own message: c1m's CONNECT says echo false.
  const fanout: FanoutSource | undefined = broadcast ? {kind: 'broadcast', ...broadcast} : published && {...published, publisherReceives: shaped.session?.app !== 'nats'}

  return {
    kind: 'run',
    conns: flags.conns,
    steps: flags.steps,
    engine: chosen.engine,
    notes: chosen.note ? [chosen.note] : [],
    settleMs,
    openTimeoutMs,
    holdMs,
    inflight: flags.inflight,
    ...(traffic ? {traffic} : {}),
    ...(fanout ? {fanout} : {}),
    ...(parsed && flags['server-pid']?.length ? {target: {host: host.resolved?.address ?? parsed.host, port: parsed.port, serverPid: flags['server-pid'][0], serverPids: flags['server-pid'], ...(host.resolved?.name ? {name: host.resolved.name} : {})}} : {}),
    ...(parseFamily(flags.family) ? {family: parseFamily(flags.family)} : {}),
    protocol,
    echo: flags.echo && !push,
    echoEachStep: flags['echo-each-step'],
    ...(flags['client-hosts'] === undefined ? {} : {clientHosts: {count: flags['client-hosts'], nat: flags.nat === true}}),
    netns: flags.netns,
    ownEhash: flags['own-ehash'],
  }
}

/** --broadcast-every (10 ms to a day) and --broadcast-size (48 bytes to 64KiB); none without the first. */
export function parseBroadcast(every: string | undefined, sizeText: string | undefined): {everyMs: number; size: number} | undefined {
  if (every === undefined) return undefined
  const everyMs = parseBoundedDuration(every, 'broadcast-every', DURATION_FLAGS['broadcast-every'])
  const size = parseSize(sizeText ?? '64', 'broadcast-size')
  if (!Number.isInteger(size) || size < 48 || size > 65_536) throw usageError(`--broadcast-size must be 48 bytes to 64KiB (it carries "c1m-fanout SEQ TIME"), got "${sizeText}"`)
  return {everyMs, size}
}

/** --publish TEXT (1 to 1024 bytes, no control characters: it is one command line) and --publish-every. */
export function parsePublish(text: string | undefined, every: string | undefined): {kind: 'publish'; everyMs: number; text: string} | undefined {
  if (text === undefined) return undefined
  // eslint-disable-next-line no-control-regex
  if (text.length === 0 || Buffer.byteLength(text) > 1024 || /[\u0000-\u001f\u007f]/.test(text)) {
    throw usageError('--publish must be 1 to 1024 bytes of text without control characters (newlines, tabs)', 'e.g. --publish "hello room"')
  }
  return {kind: 'publish', everyMs: parseBoundedDuration(every ?? '1s', 'publish-every', DURATION_FLAGS['broadcast-every']), text}
}

/** Why the protocol cannot carry --publish (probes/client-publish.h builds each kind), or undefined. */
/** The protocols the bundled server broadcasts over: WebSocket frames, SSE events, stream chunks. */
export const BROADCAST_PROTOCOLS = ['ws', 'wss', 'sse', 'stream']

/** Why --broadcast-every cannot go with `asked` (a protocol, or an --app). */
export function broadcastRefusal(asked: string): string {
  const why = asked.startsWith('--app') ? 'an --app dialect has messages of its own' : asked === 'tcp' || asked === 'tls' ? 'a byte stream has no message to time' : 'it is not built for it'
  return `--broadcast-every sends a WebSocket frame, an SSE event or a stream chunk: it needs --protocol ws, wss, sse or stream without --app, not ${asked} (${why})`
}

export function publishRefusal(protocol: Protocol): string | undefined {
  const {session} = protocol
  if (session) {
    if (session.app === 'stomp') {
      const {destination} = session
      return destination && !/[*#]/.test(destination) ? undefined : '--app stomp needs --destination with a plain destination (no * or #) that every session subscribes to and the publisher sends to'
    }
    if (session.app === 'nats') {
      const {subject} = session
      return subject && !/[*> ]/.test(subject) ? undefined : '--app nats needs --subject with a plain subject (no * or >) that every connection subscribes to and the publisher publishes to'
    }
    if (session.app === 'socketio' || session.app === 'phoenix') return undefined
    return `--app ${session.app} has no message to publish: nats (a PUB to --subject), stomp (a SEND to --destination), socketio (an event) and phoenix (a push on --topic) have`
  }
  if (protocol.kind === 'mqtt') return protocol.subscribe && !/[+#]/.test(protocol.subscribe) ? undefined : 'MQTT needs --mqtt-subscribe with a topic name (no + or #): every connection subscribes to it and the publisher publishes to it'
  if (protocol.kind === 'ws') return undefined
  return `${protocol.kind} carries no messages c1m can publish: use ws://, mqtt://, --app nats or --app stomp`
}
