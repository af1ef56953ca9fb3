import {Flags} from '@oclif/core'

import {type Family, ROLES, type Role} from '../core/needs.js'
import {BUNDLED_PROTOCOLS, HTTP_MODES} from '../core/probe/protocol.js'
import {ENGINES} from '../core/probe/run-report.js'
import {APPS} from '../core/probe/session.js'
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

/** --engine of probe, client and server: the value comes back as an Engine. */
export const engineFlag = Flags.option({char: 'e', description: 'native (C, epoll) or node', options: ENGINES, default: 'native', helpValue: 'ENGINE'})

/** --protocol of probe and server: what the bundled server speaks (a BundledProtocol). */
export const bundledProtocolFlag = Flags.option({options: BUNDLED_PROTOCOLS, helpValue: 'PROTOCOL'})

/** --out FILE on probe and estimate: the extension picks the format (src/core/out-files.ts); repeatable. */
export function outFlag(description = 'write the report to FILE: .json for the JSON document (as --json prints its result), .html for a self-contained HTML page; give it twice for both') {
  return Flags.string({char: 'o', description, helpValue: 'FILE', multiple: true, multipleNonGreedy: true})
}

/**
 * The protocol flags of probe and client: TLS for tls://, wss://, https:// and mqtts:// targets,
 * request headers for HTTP and WebSocket, MQTT's keepalive.
 */
export const protocolFlags = {
  http: Flags.option({description: 'with an http:// or https:// target, what the server does: sse (Server-Sent Events; needs text/event-stream), stream (a chunked response that stays open) or long-poll (holds each GET until it has something; asked again after each answer)', options: HTTP_MODES, helpValue: 'MODE'})(),
  header: Flags.string({description: "an HTTP header for the WebSocket upgrade or the stream's GET (repeatable): cookies, tokens", helpValue: "'NAME: VALUE'", multiple: true}),
  'ws-deflate': Flags.boolean({description: 'WebSocket: offer permessage-deflate in the upgrade, as browsers do (on by default for a ws:// or wss:// --target; --no-ws-deflate measures without). What the server compresses is inflated; the report says what it accepted, on how many connections', allowNo: true}),
  'mqtt-subscribe': Flags.string({description: 'MQTT: every connection subscribes to this topic filter (QoS 0) and counts once SUBACK granted it; what the broker publishes to it is counted during --hold', helpValue: 'TOPIC'}),
  'mqtt-keepalive': Flags.integer({description: 'MQTT keepalive in seconds, sent in CONNECT; a PINGREQ goes out at half of it (0: none) [default: 60]', min: 0, max: 65_535, helpValue: 'SECONDS'}),
  ca: Flags.string({description: "over TLS: verify the server's certificate against the CA certificates in FILE (PEM) instead of the system's store", helpValue: 'FILE'}),
  insecure: Flags.boolean({description: "over TLS: do not verify the server's certificate (as curl's -k)", default: false}),
  servername: Flags.string({description: 'over TLS: the DNS name sent as SNI and checked in the certificate (default: the certificate must carry the target IP); also the Host header', helpValue: 'NAME'}),
}

/** How --message-size traffic is paced on probe and client: rounds (--interval) or spread (--rate). */
export const trafficPaceFlags = {
  interval: Flags.string({description: 'how often --message-size bytes go out on each connection, all of them at once (a round) [default: 1s]', exclusive: ['rate'], helpValue: 'DURATION'}),
  rate: Flags.string({description: 'instead of --interval rounds, R --message-size messages a second in all, spread evenly over the connections, each in its turn: 500/s, or a count per duration (100000/60 or 100000/1m: one message per connection a minute for 100,000)', exclusive: ['interval'], helpValue: 'R/s'}),
}

/** --family 4|6 on probe and client: which address of a host name to use; the bundled probe's family. */
export const familyFlag = Flags.string({
  description: 'IP family: 4 or 6. For a host name with addresses of both, which to use (default: the first the resolver gives); for the bundled probe, IPv6 runs both ends over a ULA /64 on lo in its namespace',
  options: ['4', '6'],
  helpValue: '4|6',
})

/**
 * --family 4|6 on doctor, apply and estimate: the family of the connections planned for. IPv6 reads
 * the net.ipv6 sysctls, its neighbour table and the TCPv6 slab cache instead of IPv4's, and offers a
 * prefix where IPv4 needs one address per 64,512 connections.
 */
export const hostFamilyFlag = Flags.custom<Family>({
  description: 'IP family of the connections: 4 or 6. IPv6 checks net.ipv6.* (neighbour table, ip_nonlocal_bind), offers one prefix for source addresses and counts the TCPv6 socket\'s slab objects',
  options: ['4', '6'],
  helpValue: '4|6',
  parse: async (input) => (input === '6' ? 6 : 4),
  default: 4,
})

/**
 * The application session of probe and client (--app, issue 23): a connection counts only once the
 * server accepted the session. The generic session's flags imply --app generic.
 */
export const sessionFlags = {
  app: Flags.string({description: 'open an application session on every connection, as the framework\'s own client does, and count a connection only once the server accepted it: generic (any text protocol, see --send), socketio, graphql-ws, phoenix, stomp, nats', options: [...APPS], helpValue: 'APP'}),
  send: Flags.string({description: 'generic session: a message sent once the transport is open, or after the server\'s first message with --greeting (repeatable, in order; {n} is the connection\'s number, {id} a unique id; a CRLF-ended line over raw TCP)', helpValue: 'TEXT', multiple: true}),
  expect: Flags.string({description: 'generic session: the connection counts once a server message equals TEXT (or matches /REGEX/, POSIX extended); without it, once the sends went out', helpValue: 'TEXT|/REGEX/'}),
  reply: Flags.string({description: "generic session: answer a server message equal to MATCH (or /REGEX/) with ANSWER, at any time: a heartbeat answered (repeatable; Socket.IO's ping is '2=>3')", helpValue: "'MATCH=>ANSWER'", multiple: true}),
  greeting: Flags.boolean({description: 'generic session: the server talks first (NATS, SMTP, IRC); its first message is not a refusal, and the sends wait for it'}),
  namespace: Flags.string({description: 'socketio: the namespace joined [default: /]', helpValue: '/NS'}),
  auth: Flags.string({description: "socketio: the CONNECT packet's auth payload; nats: fields of CONNECT (user, pass, auth_token); a JSON object, kept out of the report", helpValue: 'JSON'}),
  eio: Flags.string({description: 'socketio: the Engine.IO protocol, 4 (Socket.IO 3 and 4) or 3 (Socket.IO 2; the client pings) [default: 4]', options: ['3', '4'], helpValue: 'N'}),
  'init-payload': Flags.string({description: "graphql-ws: connection_init's payload, a JSON object, kept out of the report", helpValue: 'JSON'}),
  subscribe: Flags.string({description: "graphql-ws: start one subscription per connection with this query; its next messages are counted as pushed", helpValue: 'QUERY'}),
  topic: Flags.string({description: 'phoenix: the channel topic joined', helpValue: 'TOPIC'}),
  destination: Flags.string({description: 'stomp: SUBSCRIBE to this destination; MESSAGE frames are counted as pushed', helpValue: 'DEST'}),
  login: Flags.string({description: "stomp: CONNECT's login and passcode, kept out of the report", helpValue: 'USER:PASS'}),
  subject: Flags.string({description: 'nats: SUB to this subject; MSG is counted as pushed', helpValue: 'SUBJECT'}),
  event: Flags.string({description: "socketio and phoenix, with --publish: the event the publisher sends, 42[\"EVENT\",TEXT] in --namespace (socketio) [default: message], or a push of EVENT with {\"body\": TEXT} on --topic (phoenix) [default: new_msg]; for a room that sends it on to everyone", helpValue: 'NAME'}),
  'heartbeat-every': Flags.string({description: "phoenix: how often each socket sends its heartbeat [default: 30s, as phoenix.js; Phoenix closes a socket silent for 60 s]; stomp: the heart-beat CONNECT offers [default: 10s], sent as often as the server's CONNECTED then asks", helpValue: 'DURATION'}),
}
