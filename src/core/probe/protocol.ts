import {usageError} from '../errors.js'
import {parseEndpoint} from '../units.js'

// What the probe's clients speak to a server. Raw TCP is c1m's own echo; `ws` is the WebSocket
// opening handshake (RFC 6455) and echo in frames, spoken by the native engine.

export type Protocol = {kind: 'tcp'} | {kind: 'ws'; path: string; host: string} | {kind: 'mqtt'}

/** Schemes named in the roadmap that the client does not speak yet. */
const NOT_YET = ['wss', 'http', 'https', 'mqtts', 'tls']

/**
 * `--target`: IPv4:PORT or tcp://IPv4:PORT for raw TCP, ws://IPv4:PORT/PATH for WebSocket (the
 * path defaults to /, the Host header is IPv4:PORT as written), mqtt://IPv4:PORT for MQTT 3.1.1.
 */
export function parseTarget(text: string, example = '127.0.0.1:9000'): {host: string; port: number; protocol: Protocol} {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase()
  if (scheme === undefined) return {...parseEndpoint(text, example), protocol: {kind: 'tcp'}}
  if (NOT_YET.includes(scheme)) {
    throw usageError(`--target ${scheme}:// is not spoken yet: c1m's client speaks raw TCP (IP:PORT or tcp://), WebSocket (ws://) and MQTT (mqtt://)`, 'measure over ws:// or raw TCP for now')
  }
  if (!['tcp', 'ws', 'mqtt'].includes(scheme)) throw usageError(`--target ${text}: unknown scheme "${scheme}"; use IP:PORT, tcp://IP:PORT, ws://IP:PORT/PATH or mqtt://IP:PORT`)
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
  return {...endpoint, protocol: {kind: 'ws', path, host: authority}}
}

/** The bundled programs' arguments for a protocol: the server's and the client's. */
export function protocolArgs(protocol: Protocol): {server: string[]; client: string[]} {
  if (protocol.kind === 'tcp') return {server: [], client: []}
  if (protocol.kind === 'mqtt') return {server: [], client: ['--protocol', 'mqtt']}
  return {server: ['--protocol', 'ws'], client: ['--protocol', 'ws', '--path', protocol.path, '--host', protocol.host]}
}

/** The protocol in a line of text output. */
export function describeProtocol(kind: Protocol['kind']): string {
  if (kind === 'mqtt') {
    return 'MQTT 3.1.1: a connection counts once the broker answered its CONNECT (own client id, clean session, no keepalive) with CONNACK 0; the echo check is PINGREQ and PINGRESP'
  }
  return kind === 'ws'
    ? 'WebSocket (RFC 6455): a connection counts once the server answered 101 with the right Sec-WebSocket-Accept; echoes are masked text frames compared byte for byte'
    : 'raw TCP: a connection counts once the server accepted it and kept quiet'
}
