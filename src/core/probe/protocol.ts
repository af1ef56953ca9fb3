import net from 'node:net'

import {usageError} from '../errors.js'
import {parseEndpoint} from '../units.js'
import {bundledServerApp, serverAppArgs} from './server-app.js'
import {type AppSession, sessionArgs} from './session.js'

// What the probe's clients speak to a server. Raw TCP is c1m's own echo; `ws` is the WebSocket
// opening handshake (RFC 6455) and echo in frames; sse, stream and long-poll are HTTP push; mqtt is
// MQTT 3.1.1. Both engines' clients speak them all, permessage-deflate too; the node engine's
// bundled server speaks raw TCP only (nodeEngineRefuses).

export type Protocol = ({kind: 'tcp'} | {kind: 'ws' | HttpMode; path: string; host: string; headers?: string[]; deflate?: boolean; deflateOff?: string} | {kind: 'mqtt'; keepalive?: number; subscribe?: string; echo?: boolean}) & {tls?: TlsOptions; session?: AppSession}

/** What a WebSocket client offers, as browsers do, unless --no-ws-deflate. */
export const DEFLATE_OFFER = 'permessage-deflate; client_max_window_bits'

/** What the report says of compression: what was offered and what the servers accepted, or why none was. */
export type Compression = {offered: 'permessage-deflate'; offer?: string; acceptedConnections: number; response?: string} | {offered: 'none'; why: string}

/** MQTT's keepalive when none is asked for, in seconds; the client pings at half of it. */
export const DEFAULT_MQTT_KEEPALIVE = 60

/**
 * TLS under the protocol (tls://, wss://, https://, mqtts://). The server's certificate is verified
 * against the system's store or `ca`, for `servername` (also sent as SNI) or else the target's IP
 * address; `insecure` skips verification, as curl's -k does.
 */
export interface TlsOptions {
  ca?: string
  insecure: boolean
  servername?: string
  /** The bundled server's own self-signed certificate: not verified, and not for want of a CA. */
  bundled?: boolean
}

/** The schemes over TLS, and what they carry. */
const TLS_SCHEMES: Record<string, string> = {tls: 'tcp', wss: 'ws', https: 'http', mqtts: 'mqtt'}

/**
 * HTTP server push, as `--http` names it: Server-Sent Events, a chunked response that never ends
 * (comet), or long-poll (a request the server holds until it has something, asked again after each
 * answer).
 */
export const HTTP_MODES = ['sse', 'stream', 'long-poll'] as const
export type HttpMode = (typeof HTTP_MODES)[number]

/**
 * A server that pushes, or an application session (--app): it gets no echo check, and what it sends
 * during --hold is counted.
 */
export function isPush(protocol: Protocol): boolean {
  return (HTTP_MODES as readonly string[]).includes(protocol.kind) || protocol.session !== undefined
}

/**
 * `--target`: HOST:PORT or tcp://HOST:PORT for raw TCP, ws://HOST:PORT/PATH for WebSocket (the
 * path defaults to /, the Host header is HOST:PORT as written), mqtt://HOST:PORT for MQTT 3.1.1.
 * HOST is an IPv4 address, an IPv6 address in brackets or a host name (resolved by the caller);
 * over TLS a host name is the name sent as SNI and checked in the certificate.
 */
export function parseTarget(text: string, example = '127.0.0.1:9000', http?: HttpMode): {host: string; port: number; protocol: Protocol} {
  const written = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase()
  if (written === undefined && http) throw usageError(`--http ${http} is for an http:// target, and ${text} has no scheme (raw TCP)`, `give --target http://${text}/PATH`)
  if (written === undefined) return {...parseEndpoint(text, example), protocol: {kind: 'tcp'}}
  const known = ['tcp', 'ws', 'mqtt', 'http', ...Object.keys(TLS_SCHEMES)]
  if (!known.includes(written)) throw usageError(`--target ${text}: unknown scheme "${written}"; use IP:PORT, tcp://, tls://, ws://, wss://, http://, https://, mqtt:// or mqtts://`)
  const scheme = TLS_SCHEMES[written] ?? written
  if (scheme === 'http' && !http) throw usageError(`--target ${text}: say what the server pushes with --http sse (Server-Sent Events), --http stream (a chunked response) or --http long-poll`, `add --http sse`)
  if (scheme !== 'http' && http) throw usageError(`--http ${http} is for an http:// target`, 'drop --http, or give an http:// target')
  const rest = text.slice(written.length + 3)
  const slash = rest.indexOf('/')
  const authority = slash < 0 ? rest : rest.slice(0, slash)
  const path = slash < 0 ? '/' : rest.slice(slash)
  const endpoint = parseEndpoint(authority, `${written}://${example}`)
  const tls: TlsOptions | undefined = written in TLS_SCHEMES ? {insecure: false, ...(net.isIP(endpoint.host) ? {} : {servername: endpoint.host})} : undefined
  if (scheme === 'tcp' || scheme === 'mqtt') {
    if (path !== '/') throw usageError(`--target ${text}: a ${written}:// target has no path`)
    return {...endpoint, protocol: {kind: scheme, ...(tls ? {tls} : {})}}
  }
  if (path.length > 512 || !/^\/[\x21-\x7e]*$/.test(path)) throw usageError(`--target ${text}: the path must be printable ASCII without spaces, at most 512 characters`)
  return {...endpoint, protocol: {kind: scheme === 'http' ? http! : 'ws', path, host: authority, ...(tls ? {tls} : {})}}
}

/**
 * What the bundled server can speak (`probe --protocol`, `server --protocol`): raw TCP, WebSocket,
 * Server-Sent Events, a chunked stream, and TLS under TCP (tls) or WebSocket (wss). Over TLS the
 * server makes its own key and self-signed certificate for the run, so the clients do not verify it.
 */
export const BUNDLED_PROTOCOLS = ['tcp', 'ws', 'sse', 'stream', 'tls', 'wss'] as const
export type BundledProtocol = (typeof BUNDLED_PROTOCOLS)[number]

/** The protocol of a bundled run by its name. */
export function bundledProtocol(name: BundledProtocol): Protocol {
  const bundledTls = {insecure: true, bundled: true}
  if (name === 'tcp') return {kind: 'tcp'}
  if (name === 'tls') return {kind: 'tcp', tls: bundledTls}
  return {kind: name === 'wss' ? 'ws' : name, path: '/', host: 'localhost', ...(name === 'wss' ? {tls: bundledTls} : {})}
}

export interface ProtocolFlags {
  ca?: string
  insecure?: boolean
  servername?: string
  header?: string[]
  'mqtt-keepalive'?: number
  'mqtt-subscribe'?: string
  'ws-deflate'?: boolean
}

/**
 * The flags that shape a protocol, checked against the target: --header for HTTP and WebSocket,
 * --mqtt-keepalive for MQTT, --ca, --insecure and --servername for a target over TLS.
 */
export function withProtocolFlags(protocol: Protocol, flags: ProtocolFlags, target = true): Protocol {
  const secured = withTlsFlags(protocol, flags)
  const deflate = flags['ws-deflate']
  if (deflate !== undefined && secured.kind !== 'ws') throw usageError(`--${deflate ? '' : 'no-'}ws-deflate is for a ws:// or wss:// target`, `drop --${deflate ? '' : 'no-'}ws-deflate`)
  // A --target WebSocket is offered permessage-deflate as browsers offer it; the bundled server has none.
  const shaped: Protocol = secured.kind !== 'ws' ? secured : deflate === false ? {...secured, deflateOff: '--no-ws-deflate'} : deflate || target ? {...secured, deflate: true} : secured
  if (flags['mqtt-keepalive'] !== undefined && shaped.kind !== 'mqtt') throw usageError('--mqtt-keepalive is for an mqtt:// or mqtts:// target', 'drop --mqtt-keepalive')
  const headers = flags.header ?? []
  if (headers.length > 0 && !('host' in shaped)) throw usageError('--header is for an HTTP or WebSocket target (ws://, wss://, http://, https://)', 'drop --header')
  const topic = flags['mqtt-subscribe']
  if (topic !== undefined && shaped.kind !== 'mqtt') throw usageError('--mqtt-subscribe is for an mqtt:// or mqtts:// target', 'drop --mqtt-subscribe')
  if (topic !== undefined && (topic.length === 0 || topic.length > 512 || [...topic].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))) {
    throw usageError('--mqtt-subscribe must be a topic filter of 1 to 512 characters without control characters', 'e.g. --mqtt-subscribe news/#')
  }
  if (shaped.kind === 'mqtt') return {...shaped, keepalive: flags['mqtt-keepalive'] ?? DEFAULT_MQTT_KEEPALIVE, ...(topic ? {subscribe: topic} : {})}
  if (headers.length === 0 || !('host' in shaped)) return shaped
  for (const header of headers) {
    if (!/^[!#$%&'*+.^`|~\w-]+: ?[\x20-\x7e]*$/.test(header) || header.length > 1024) {
      throw usageError(`--header must be "Name: value" in printable ASCII, at most 1024 characters, got ${JSON.stringify(header.slice(0, 60))}`, "e.g. --header 'Cookie: session=abc'")
    }
    if (/^(host|upgrade|connection|sec-websocket-key|sec-websocket-version|content-length|transfer-encoding):/i.test(header)) {
      throw usageError(`--header ${header.split(':')[0]} is one c1m writes itself`, 'drop it; the Host header follows --servername')
    }
  }
  if (headers.join('\r\n').length > 4000) throw usageError('--header: the headers add up to more than 4000 characters')
  return {...shaped, headers}
}

/** --ca, --insecure and --servername, checked against the target: they need one over TLS. */
function withTlsFlags(protocol: Protocol, flags: ProtocolFlags): Protocol {
  const given = [flags.ca && '--ca', flags.insecure && '--insecure', flags.servername && '--servername'].filter(Boolean)
  if (!protocol.tls) {
    if (given.length > 0) throw usageError(`${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} for a target over TLS`, 'use a tls://, wss://, https:// or mqtts:// target, or drop it')
    return protocol
  }
  if (protocol.tls.bundled) return protocol
  if (flags.ca && flags.insecure) throw usageError('--ca verifies the server\'s certificate and --insecure skips that', 'drop one of them')
  if (flags.servername !== undefined && !/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(flags.servername)) {
    throw usageError(`--servername must be a DNS name, got "${flags.servername}"`, 'give the name the certificate carries, e.g. --servername chat.example.com')
  }
  const servername = flags.servername ?? protocol.tls.servername
  const tls: TlsOptions = {insecure: flags.insecure === true, ...(flags.ca ? {ca: flags.ca} : {}), ...(servername ? {servername} : {})}
  // Virtual hosts go by the Host header: the name the certificate is checked for.
  if (flags.servername && 'host' in protocol) return {...protocol, host: `${flags.servername}:${protocol.host.slice(protocol.host.lastIndexOf(':') + 1)}`, tls}
  return {...protocol, tls}
}

/** The client's TLS arguments: ALPN http/1.1 for HTTP and WebSocket, as a browser offers it. */
function tlsArgs(protocol: Protocol): string[] {
  const {tls} = protocol
  if (!tls) return []
  return [
    '--tls',
    ...('host' in protocol ? ['--alpn', 'http/1.1'] : []),
    ...(tls.ca ? ['--ca', tls.ca] : []),
    ...(tls.insecure ? ['--insecure'] : []),
    ...(tls.servername ? ['--servername', tls.servername] : []),
  ]
}

/** The bundled programs' arguments for a protocol (and its session): the server's and the client's. */
export function protocolArgs(protocol: Protocol): {server: string[]; client: string[]} {
  // TLS's arguments and the session's (--app) end every client's line.
  const tail = [...tlsArgs(protocol), ...sessionArgs(protocol.session)]
  const serverTls = protocol.tls ? ['--tls'] : []
  if (protocol.kind === 'tcp') return {server: serverTls, client: tail}
  if (protocol.kind === 'mqtt') {
    const subscribe = protocol.subscribe ? ['--mqtt-subscribe', protocol.subscribe] : []
    const echo = protocol.echo ? ['--mqtt-echo'] : []
    return {server: [], client: ['--protocol', 'mqtt', '--mqtt-keepalive', String(protocol.keepalive ?? 0), ...subscribe, ...echo, ...tail]}
  }
  const headers = (protocol.headers ?? []).flatMap((header) => ['--header', header])
  const deflate = protocol.kind === 'ws' && protocol.deflate ? ['--ws-deflate'] : []
  // The bundled server speaks the clients' dialect when it can (socketio, phoenix).
  const serverApp = serverAppArgs(bundledServerApp(protocol.session?.app))
  return {server: ['--protocol', protocol.kind, ...serverTls, ...serverApp], client: ['--protocol', protocol.kind, '--path', protocol.path, '--host', protocol.host, ...headers, ...deflate, ...tail]}
}

/**
 * A native client built without zlib cannot inflate: a WebSocket that would have offered
 * permessage-deflate by default does not, and the report says why.
 */
export function withoutInflate(protocol: Protocol): Protocol {
  if (protocol.kind !== 'ws' || !protocol.deflate) return protocol
  return {...protocol, deflate: false, deflateOff: 'the native client was built without zlib (apt-get install zlib1g-dev)'}
}

/** The report's compression block for a WebSocket run: undefined when nothing was offered or refused. */
export function compressionOf(protocol: Protocol | undefined, acceptedConnections: number, response: string): Compression | undefined {
  if (protocol?.kind !== 'ws') return undefined
  if (protocol.deflate) return {offered: 'permessage-deflate', offer: DEFLATE_OFFER, acceptedConnections, ...(response ? {response} : {})}
  return protocol.deflateOff ? {offered: 'none', why: protocol.deflateOff} : undefined
}

/** The report's compression in one line of text. */
export function describeCompression(compression: Compression): string {
  if (compression.offered === 'none') return `no permessage-deflate offered: ${compression.why}`
  const accepted = compression.acceptedConnections > 0 && compression.response ? ` (${compression.response})` : ''
  return `${compression.offer ?? compression.offered} offered; the server accepted it on ${compression.acceptedConnections.toLocaleString('en-US')} connections${accepted}`
}

/**
 * Why the node engine cannot run this, or undefined when it can. Its client speaks every protocol
 * of a --target (raw TCP, WebSocket with permessage-deflate, HTTP push, long-poll, MQTT, over TLS
 * too); its bundled server raw TCP only.
 */
export function nodeEngineRefuses(protocol: Protocol, bundledServer: boolean): string | undefined {
  if (bundledServer && (protocol.kind !== 'tcp' || protocol.tls)) return "the node engine's bundled server speaks raw TCP only; WebSocket, HTTP push and TLS are served by the native engine"
  return undefined
}

/** What TLS negotiated, in a line of text output. */
export function describeTls(session: {version: string; cipher: string; alpn: string}, verified: boolean, bundled = false): string {
  const certificate = verified ? 'verified' : bundled ? "the bundled server's own, not verified" : 'not verified (--insecure)'
  return `${session.version} ${session.cipher}${session.alpn ? `, ALPN ${session.alpn}` : ''}, certificate ${certificate}`
}

/** The protocol in a line of text output. */
export function describeProtocol(kind: Protocol['kind'], app?: string): string {
  if (app && kind === 'ws') {
    return `WebSocket (RFC 6455) carrying a ${app} session: a connection counts once the server answered 101 with the right Sec-WebSocket-Accept and then accepted the session; its heartbeats are kept, pings answered, and what the server pushes is counted`
  }
  if (app) return `raw TCP carrying a ${app} session: a connection counts once the server accepted the session; its heartbeats are kept, and what the server pushes is counted`
  if (kind === 'long-poll') {
    return 'HTTP long-poll: a connection counts once its GET is sent; each answer (200 a message, 204 nothing new) is read to its end and the GET sent again on the same connection; any other status ends the connection, counted by status; there is no echo check'
  }
  if (kind === 'sse' || kind === 'stream') {
    const wants = kind === 'sse' ? '200 with Content-Type text/event-stream' : '200'
    return `HTTP server push (${kind === 'sse' ? 'Server-Sent Events' : 'a streamed response'}): a connection counts once its GET got ${wants}; what the server pushes is counted, and there is no echo check`
  }
  if (kind === 'mqtt') {
    return 'MQTT 3.1.1: a connection counts once the broker answered its CONNECT (own client id, clean session) with CONNACK 0; PINGREQ at half the keepalive; the echo check is PINGREQ and PINGRESP; PUBLISHes the broker sends are counted'
  }
  return kind === 'ws'
    ? 'WebSocket (RFC 6455): a connection counts once the server answered 101 with the right Sec-WebSocket-Accept; echoes are masked text frames compared byte for byte; pings are answered, and the frames and close codes the server sends are counted'
    : 'raw TCP: a connection counts once the server accepted it and kept quiet'
}

/**
 * One entry per protocol: the name of its opening (how a refusal reads: the server's answer to it),
 * and what to check when the server refused every connection before one sample.
 */
export const PROTOCOL_TABLE: Record<Protocol['kind'], {opening?: string; refusedFix: string}> = {
  tcp: {refusedFix: "check the server's access rules for 127.x sources (Redis: protected-mode and bind; nginx: allow/deny) and that it expects a silent TCP client"},
  ws: {opening: 'WebSocket upgrade', refusedFix: 'check that the server upgrades WebSocket requests at that path (its answer is quoted) and accepts 127.x clients'},
  mqtt: {opening: 'MQTT CONNECT', refusedFix: 'check the broker lets this client connect (allow_anonymous, a listener on that address; its CONNACK is quoted)'},
  sse: {opening: 'HTTP request', refusedFix: 'check that the server streams at that path: 200 with Content-Type text/event-stream (its answer is quoted)'},
  stream: {opening: 'HTTP request', refusedFix: 'check that the server streams at that path: 200 (its answer is quoted)'},
  'long-poll': {opening: 'HTTP request', refusedFix: 'check that the server holds GET requests at that path and answers them 200 or 204 (its answer is quoted)'},
}

/** How a refusal reads: the server's answer to this protocol's opening. */
export function openingName(kind: Protocol['kind']): string | undefined {
  return PROTOCOL_TABLE[kind].opening
}
