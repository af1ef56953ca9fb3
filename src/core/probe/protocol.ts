import {usageError} from '../errors.js'
import {parseEndpoint} from '../units.js'

// What the probe's clients speak to a server. Raw TCP is c1m's own echo; `ws` is the WebSocket
// opening handshake (RFC 6455) and echo in frames, spoken by the native engine.

export type Protocol = {kind: 'tcp'} | {kind: 'ws'; path: string; host: string}

/** Schemes named in the roadmap that the client does not speak yet. */
const NOT_YET = ['wss', 'http', 'https', 'mqtt', 'mqtts', 'tls']

/**
 * `--target`: IPv4:PORT or tcp://IPv4:PORT for raw TCP, ws://IPv4:PORT/PATH for WebSocket (the
 * path defaults to /, the Host header is IPv4:PORT as written).
 */
export function parseTarget(text: string, example = '127.0.0.1:9000'): {host: string; port: number; protocol: Protocol} {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase()
  if (scheme === undefined) return {...parseEndpoint(text, example), protocol: {kind: 'tcp'}}
  if (NOT_YET.includes(scheme)) {
    throw usageError(`--target ${scheme}:// is not spoken yet: c1m's client speaks raw TCP (IP:PORT or tcp://) and WebSocket (ws://)`, 'measure over ws:// or raw TCP for now')
  }
  if (scheme !== 'tcp' && scheme !== 'ws') throw usageError(`--target ${text}: unknown scheme "${scheme}"; use IP:PORT, tcp://IP:PORT or ws://IP:PORT/PATH`)
  const rest = text.slice(scheme.length + 3)
  const slash = rest.indexOf('/')
  const authority = slash < 0 ? rest : rest.slice(0, slash)
  const path = slash < 0 ? '/' : rest.slice(slash)
  const endpoint = parseEndpoint(authority, `${scheme}://${example}`)
  if (scheme === 'tcp') {
    if (path !== '/') throw usageError(`--target ${text}: a tcp:// target has no path`)
    return {...endpoint, protocol: {kind: 'tcp'}}
  }
  if (path.length > 512 || !/^\/[\x21-\x7e]*$/.test(path)) throw usageError(`--target ${text}: the path must be printable ASCII without spaces, at most 512 characters`)
  return {...endpoint, protocol: {kind: 'ws', path, host: authority}}
}

/** The bundled programs' arguments for a protocol: the server's and the client's. */
export function protocolArgs(protocol: Protocol): {server: string[]; client: string[]} {
  if (protocol.kind === 'tcp') return {server: [], client: []}
  return {server: ['--protocol', 'ws'], client: ['--protocol', 'ws', '--path', protocol.path, '--host', protocol.host]}
}

/** The protocol in a line of text output. */
export function describeProtocol(kind: Protocol['kind']): string {
  return kind === 'ws'
    ? 'WebSocket (RFC 6455): a connection counts once the server answered 101 with the right Sec-WebSocket-Accept; echoes are masked text frames compared byte for byte'
    : 'raw TCP: a connection counts once the server accepted it and kept quiet'
}
