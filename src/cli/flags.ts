import {Flags} from '@oclif/core'

import {ROLES, type Role} from '../core/needs.js'
import {HTTP_MODES} from '../core/probe/protocol.js'
import {parseCount} from '../core/units.js'

/** Flags several commands share, defined once. */
export const connsFlag = Flags.custom<number>({
  char: 'n',
  description: 'target number of concurrent connections (1e6, 1M, 250k, 1000000)',
  helpValue: 'N',
  parse: async (input) => parseCount(input, 'conns'),
})

export const roleFlag = Flags.custom<Role>({
  char: 'r',
  description: 'server accepts the connections; client opens them; loopback holds both ends on this host',
  options: ROLES,
  helpValue: 'ROLE',
})

export const rootFlag = Flags.string({
  description: 'audit or change a saved host tree (from `c1m snapshot DIR`) instead of /',
  helpValue: 'DIR',
  default: '/',
})

/** --out FILE on probe and estimate: the extension picks the format (src/out-files.ts); repeatable. */
export function outFlag(description = 'write the report to FILE: .json for the JSON document (as --json prints its result), .html for a self-contained HTML page; give it twice for both') {
  return Flags.string({char: 'o', description, helpValue: 'FILE', multiple: true, multipleNonGreedy: true})
}

/**
 * The protocol flags of probe and client: TLS for tls://, wss://, https:// and mqtts:// targets,
 * request headers for HTTP and WebSocket, MQTT's keepalive.
 */
export const protocolFlags = {
  http: Flags.string({description: 'with an http:// or https:// target, what the server does: sse (Server-Sent Events; needs text/event-stream), stream (a chunked response that stays open) or long-poll (holds each GET until it has something; asked again after each answer)', options: [...HTTP_MODES], helpValue: 'MODE'}),
  header: Flags.string({description: "an HTTP header for the WebSocket upgrade or the stream's GET (repeatable): cookies, tokens", helpValue: "'NAME: VALUE'", multiple: true}),
  'ws-deflate': Flags.boolean({description: 'WebSocket: offer permessage-deflate in the upgrade (the report says how many connections the server accepted it on); the echo stays uncompressed', default: false}),
  'mqtt-subscribe': Flags.string({description: 'MQTT: every connection subscribes to this topic filter (QoS 0) and counts once SUBACK granted it; what the broker publishes to it is counted during --hold', helpValue: 'TOPIC'}),
  'mqtt-keepalive': Flags.integer({description: 'MQTT keepalive in seconds, sent in CONNECT; a PINGREQ goes out at half of it (0: none) [default: 60]', min: 0, max: 65_535, helpValue: 'SECONDS'}),
  ca: Flags.string({description: "over TLS: verify the server's certificate against the CA certificates in FILE (PEM) instead of the system's store", helpValue: 'FILE'}),
  insecure: Flags.boolean({description: "over TLS: do not verify the server's certificate (as curl's -k)", default: false}),
  servername: Flags.string({description: 'over TLS: the DNS name sent as SNI and checked in the certificate (default: the certificate must carry the target IP); also the Host header', helpValue: 'NAME'}),
}
