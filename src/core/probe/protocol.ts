import {usageError} from '../errors.js'
import {parseEndpoint} from '../units.js'

// What the probe's clients speak to a server. Raw TCP is c1m's own echo; `ws` is the WebSocket
// opening handshake (RFC 6455) and echo in frames, spoken by the native engine.

export type Protocol = {kind: 'tcp'} | {kind: 'ws' | 'sse' | 'stream'; path: string; host: string} | {kind: 'mqtt'}

/**
 * HTTP server push, as `--http` names it: Server-Sent Events, or a chunked response that never ends
 * (comet).
 */
export type HttpMode = 'sse' | 'stream'

/** Schemes named in the roadmap that the client does not speak yet. */
const NOT_YET = ['wss', 'https', 'mqtts', 'tls']

/**
 * `--target`: IPv4:PORT or tcp://IPv4:PORT for raw TCP, ws://IPv4:PORT/PATH for WebSocket (the
 * path defaults to /, the Host header is IPv4:PORT as written), mqtt://IPv4:PORT for MQTT 3.1.1.
 */
export function parseTarget(text: string, example = '127.0.0.1:9000', http?: HttpMode): {host: string; port: number; protocol: Protocol} {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase()
  if (scheme === undefined) return {...parseEndpoint(text, example), protocol: {kind: 'tcp'}}
  if (NOT_YET.includes(scheme)) {
    throw usageError(`--target ${scheme}:// is not spoken yet: c1m's client speaks raw TCP (IP:PORT or tcp://), WebSocket (ws://), MQTT (mqtt://) and HTTP push (http:// with --http sse|stream)`, 'measure over ws:// or raw TCP for now')
  }
  if (!['tcp', 'ws', 'mqtt', 'http'].includes(scheme)) throw usageError(`--target ${text}: unknown scheme "${scheme}"; use IP:PORT, tcp://IP:PORT, ws://IP:PORT/PATH, http://IP:PORT/PATH or mqtt://IP:PORT`)
  if (scheme === 'http' && !http) throw usageError(`--target ${text}: say what the server pushes with --http sse (Server-Sent Events) or --http stream (a chunked response)`, `add --http sse`)
  if (scheme !== 'http' && http) throw usageError(`--http ${http} is for an http:// target`, 'drop --http, or give an http:// target')
  const rest = text.slice(scheme.length + 3)
  const slash = rest.indexOf('/')
  const authority = slash < 0 ? rest : rest.slice(0, slash)
  const path = slash < 0 ? '/' : rest.slice(slash)
  const endpoint = parseEndpoint(authority, `${scheme}://${example}`)
  if (scheme === 'tcp' || scheme === 'mqtt') {
    if (path !== '/') throw usageError(`--target ${text}: a ${scheme}:// target has no path`)
    return {...endpoint, protocol: {kind: scheme}}
  }
  if (path.length > 512 || !/^\/[\x21-\x7e]*$/.test(path)) throw usageError(`--target ${text}: the path must be printable ASCII without spaces, at most 512 characters`)
  return {...endpoint, protocol: {kind: scheme === 'http' ? http! : 'ws', path, host: authority}}
}

/** The bundled programs' arguments for a protocol: the server's and the client's. */
export function protocolArgs(protocol: Protocol): {server: string[]; client: string[]} {
  if (protocol.kind === 'tcp') return {server: [], client: []}
  if (protocol.kind === 'mqtt') return {server: [], client: ['--protocol', 'mqtt']}
  return {server: ['--protocol', protocol.kind], client: ['--protocol', protocol.kind, '--path', protocol.path, '--host', protocol.host]}
}

/** The protocol in a line of text output. */
export function describeProtocol(kind: Protocol['kind']): string {
  if (kind === 'sse' || kind === 'stream') {
    const wants = kind === 'sse' ? '200 with Content-Type text/event-stream' : '200'
    return `HTTP server push (${kind === 'sse' ? 'Server-Sent Events' : 'a streamed response'}): a connection counts once its GET got ${wants}; what the server pushes is counted, and there is no echo check`
  }
  if (kind === 'mqtt') {
    return 'MQTT 3.1.1: a connection counts once the broker answered its CONNECT (own client id, clean session, no keepalive) with CONNACK 0; the echo check is PINGREQ and PINGRESP'
  }
  return kind === 'ws'
    ? 'WebSocket (RFC 6455): a connection counts once the server answered 101 with the right Sec-WebSocket-Accept; echoes are masked text frames compared byte for byte'
    : 'raw TCP: a connection counts once the server accepted it and kept quiet'
}

/** How a refusal reads: the server's answer to this protocol's opening. */
export function openingName(kind: Protocol['kind']): string | undefined {
  return {tcp: undefined, ws: 'WebSocket upgrade', mqtt: 'MQTT CONNECT', sse: 'HTTP request', stream: 'HTTP request'}[kind]
}
