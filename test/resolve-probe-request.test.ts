import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import {Parser} from '@oclif/core'

import Client from '../src/commands/client.js'
import Probe from '../src/commands/probe.js'
import Server from '../src/commands/server.js'
import {C1mError, type ErrorCode, EXIT_CODES} from '../src/core/errors.js'
import {resolveClientRequest} from '../src/core/probe/client-request.js'
import {type ProbeFlags, type ProbeHost, resolveProbeRequest} from '../src/core/probe/probe-request.js'
import {resolveServerRequest} from '../src/core/probe/server-request.js'

// The rules between the flags of probe, client and server, one row each way: a command line (parsed
// by oclif with the command's own flags, so the defaults are the real ones) and the request it
// resolves to, or the one error the command is refused with.

/** What a row expects: some fields of the request, or the error's message and code. */
type Want = Record<string, unknown> | {error: string; code: ErrorCode}

interface Row {
  argv: string
  want: Want
  /** Set on the parsed flags: a state oclif's own checks do not let through. */
  patch?: Record<string, unknown>
  host?: Record<string, unknown>
}

const NO_TLS_NOTE = 'the native programs are built without TLS here (no OpenSSL headers: apt-get install libssl-dev); the node engine opens these connections instead'
const NODE_BUNDLED = "the node engine's bundled server speaks raw TCP only; WebSocket, HTTP push and TLS are served by the native engine"

/** Run each row: parse its command line with `flags`, resolve it with `resolve`, compare. */
function checkRows<F>(flags: Parameters<typeof Parser.parse>[1]['flags'], rows: Row[], resolve: (flags: F, host: Record<string, unknown>) => unknown): void {
  for (const row of rows) {
    it(row.argv || '(no flags)', async () => {
      const parsed = await Parser.parse(row.argv.split(' ').filter(Boolean), {flags, strict: true})
      const got = resolve({...parsed.flags, ...row.patch} as F, row.host ?? {})
      if ('error' in row.want) {
        assert.ok(got instanceof C1mError, `resolved instead of refused: ${JSON.stringify(got)}`)
        assert.equal(got.message, row.want.error)
        assert.equal(got.code, row.want.code)
        assert.equal(got.exit, EXIT_CODES[row.want.code as ErrorCode])
        return
      }
      assert.ok(!(got instanceof C1mError), `refused: ${got instanceof C1mError ? got.message : ''}`)
      for (const [key, value] of Object.entries(row.want)) assert.deepEqual((got as Record<string, unknown>)[key], value, key)
    })
  }
}

const usage = (error: string): Want => ({error, code: 'E_USAGE'})
const PID = '--server-pid 42'

describe('resolveProbeRequest: the rules between probe flags', () => {
  const rows: Row[] = [
    // Defaults: the bundled raw TCP server, native engine, echo checked.
    {argv: '', want: {kind: 'run', conns: 100_000, steps: 5, engine: 'native', notes: [], settleMs: 500, openTimeoutMs: 120_000, holdMs: 0, protocol: {kind: 'tcp'}, echo: true, echoEachStep: false, netns: true, ownEhash: false}},
    // Values.
    {argv: '--settle 2h', want: usage('--settle must be from 0 to 1h, got "2h"')},
    {argv: '--message-size 0 --hold 1s', want: usage('--message-size must be a size such as 24GiB, 512MiB or 4096, got "0"')},
    {argv: '--message-size 100k --hold 1s', want: usage('--message-size must be 1 byte to 64KiB, got "100k"')},
    {argv: '--message-size 64KiB --hold 1s --interval 250ms', want: {traffic: {messageSize: 65_536, intervalMs: 250}, holdMs: 1000}},
    // --rate spreads the messages; --interval sends rounds: one or the other, and either with --message-size.
    {argv: '--message-size 512 --hold 1s', want: {traffic: {messageSize: 512, intervalMs: 1000}}},
    {argv: '--message-size 512 --hold 1s --rate 500/s', want: {traffic: {messageSize: 512, intervalMs: 0, rate: 500}}},
    {argv: '--message-size 512 --hold 1s --rate 600000/60', want: {traffic: {messageSize: 512, intervalMs: 0, rate: 10_000}}},
    {argv: '--message-size 512 --hold 1s --rate 3000/1m', want: {traffic: {messageSize: 512, intervalMs: 0, rate: 50}}},
    {argv: '--message-size 512 --hold 1s --rate 25', want: {traffic: {messageSize: 512, intervalMs: 0, rate: 25}}},
    // oclif's exclusive says so first; the rule keeps the request whole for any other caller.
    {argv: '--message-size 512 --hold 1s --rate 500/s', patch: {interval: '1s'}, want: usage('--rate spreads messages over the connections and --interval sends on all of them at once: give one of them')},
    {argv: '--hold 1s --rate 500/s', want: usage('--rate paces --message-size traffic: give --message-size too')},
    {argv: '--hold 1s --interval 2s', want: usage('--interval paces --message-size traffic: give --message-size too')},
    {argv: '--message-size 512 --hold 1s --rate fast', want: usage('--rate must be messages a second such as 200/s, or a count per duration such as 10000/60 or 10000/1m, got "fast"')},
    {argv: '--message-size 512 --hold 1s --rate 5/0', want: usage('--rate must be messages a second such as 200/s, or a count per duration such as 10000/60 or 10000/1m, got "5/0"')},
    {argv: '--message-size 512 --hold 1s --rate 0', want: usage('--rate must be from one message a day to 10,000,000 a second in all, got "0"')},
    {argv: '--message-size 512 --rate 500/s', want: usage('--message-size sends traffic during the hold: give --hold too')},
    // --target needs --server-pid (oclif's dependsOn says so first).
    {argv: '--target 127.0.0.1:8080 --server-pid 42', patch: {'server-pid': undefined}, want: usage('--target needs --server-pid, the PID of the server listening there')},
    {argv: `--target 127.0.0.1:8080 ${PID}`, want: {target: {host: '127.0.0.1', port: 8080, serverPid: 42, serverPids: [42]}, protocol: {kind: 'tcp'}}},
    // --message-size needs --hold, and the echo.
    {argv: '--message-size 64', want: usage('--message-size sends traffic during the hold: give --hold too')},
    {argv: '--message-size 64 --hold 1s --no-echo', want: usage('--message-size sends echo traffic, and --no-echo promises the server not one byte')},
    {argv: '--no-echo', want: {echo: false}},
    // At least one connection a step.
    {argv: '--conns 3 --steps 5', want: usage('--conns 3 is fewer than --steps 5')},
    {argv: '--conns 5 --steps 5', want: {conns: 5, steps: 5}},
    // --http is for a --target.
    {argv: '--http sse', want: usage('--http is for an http:// --target')},
    {argv: `--http sse --target http://127.0.0.1:8080/events ${PID}`, want: {protocol: {kind: 'sse', path: '/events', host: '127.0.0.1:8080'}, echo: false}},
    // A target without a scheme is raw TCP: --http there would be silently ignored.
    {argv: `--http sse --target 127.0.0.1:8080 ${PID}`, want: usage('--http sse is for an http:// target, and 127.0.0.1:8080 has no scheme (raw TCP)')},
    // TLS flags are for a --target over TLS.
    {argv: '--insecure', want: usage('--ca, --insecure and --servername are for a --target over TLS; the bundled server makes its own certificate for each run')},
    {argv: '--protocol tls --ca ca.pem', want: usage('--ca, --insecure and --servername are for a --target over TLS; the bundled server makes its own certificate for each run')},
    {argv: `--target wss://127.0.0.1:443/live ${PID} --ca ca.pem`, want: {protocol: {kind: 'ws', path: '/live', host: '127.0.0.1:443', tls: {insecure: false, ca: 'ca.pem'}, deflate: true}}},
    // --client-hosts: around the bundled server, in namespaces, as root, a connection each at least.
    {argv: `--client-hosts 2 --target 127.0.0.1:8080 ${PID}`, want: usage('--client-hosts simulates client hosts around the bundled server; with --target the clients are on this host')},
    {argv: '--client-hosts 2 --no-netns', want: usage('--client-hosts needs network namespaces, and --no-netns asks for none')},
    {argv: '--client-hosts 2', host: {root: false}, want: {error: '--client-hosts makes network namespaces, which needs root', code: 'E_NOT_ROOT'}},
    {argv: '--conns 5 --steps 2 --client-hosts 8', want: usage('--conns 5 is fewer than --client-hosts 8')},
    {argv: '--conns 8 --steps 2 --client-hosts 8 --nat', want: {clientHosts: {count: 8, nat: true}}},
    // Over IPv6 each host has a /64 of its own, and --nat is NAT66; still only in the namespace.
    {argv: '--family 6 --conns 8 --steps 2 --client-hosts 2', want: {family: 6, clientHosts: {count: 2, nat: false}}},
    {argv: '--family 6 --conns 8 --steps 2 --client-hosts 2 --nat', want: {family: 6, clientHosts: {count: 2, nat: true}}},
    {argv: '--family 6 --client-hosts 2 --no-netns', want: usage('--family 6 runs the bundled probe over a ULA /64 on lo in a namespace of its own, which needs root and the namespace')},
    {argv: '--no-netns', want: {netns: false, clientHosts: undefined}},
    // --protocol is the bundled server's; a --target's scheme picks its own.
    {argv: `--target ws://127.0.0.1:8080/chat ${PID} --protocol ws`, want: usage('--protocol is for the bundled server; with --target the scheme picks it')},
    {argv: '--protocol ws', want: {protocol: {kind: 'ws', path: '/', host: 'localhost'}, target: undefined}},
    // --message-size is echo traffic, uncompressed.
    {argv: `--target http://127.0.0.1:8080/events --http stream ${PID} --message-size 64 --hold 1s`, want: usage('--message-size is echo traffic (raw TCP, WebSocket frames, MQTT PUBLISHes), not for a server that pushes')},
    // A --target WebSocket offers permessage-deflate unless --no-ws-deflate; the bundled server has none.
    {argv: `--target ws://127.0.0.1:8080/ ${PID}`, want: {protocol: {kind: 'ws', path: '/', host: '127.0.0.1:8080', deflate: true}}},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --no-ws-deflate --message-size 64 --hold 1s`, want: {protocol: {kind: 'ws', path: '/', host: '127.0.0.1:8080', deflateOff: '--no-ws-deflate'}}},
    {argv: '--no-ws-deflate', want: usage('--no-ws-deflate is for a ws:// or wss:// target')},
    {argv: `--target mqtt://127.0.0.1:1883 ${PID} --message-size 64 --hold 1s`, want: {protocol: {kind: 'mqtt', keepalive: 60, echo: true}, traffic: {messageSize: 64, intervalMs: 1000}}},
    // --echo-each-step needs the echo check.
    {argv: '--echo-each-step --no-echo', want: usage('--echo-each-step needs the echo check, and --no-echo turns it off')},
    {argv: `--echo-each-step --target http://127.0.0.1:8080/poll --http long-poll ${PID}`, want: usage('--echo-each-step needs the echo check, and a server that pushes gets none')},
    {argv: '--echo-each-step', want: {echoEachStep: true}},
    // The engine: what node cannot speak is refused; without OpenSSL, node opens a TLS target.
    {argv: '--engine node --protocol ws', want: usage(NODE_BUNDLED)},
    {argv: `--engine node --target ws://127.0.0.1:8080/ ${PID} --ws-deflate`, want: {engine: 'node', protocol: {kind: 'ws', path: '/', host: '127.0.0.1:8080', deflate: true}}},
    {argv: '--engine node', want: {engine: 'node'}},
    {argv: `--target tls://127.0.0.1:443 ${PID}`, host: {nativeTls: false}, want: {engine: 'node', notes: [NO_TLS_NOTE]}},
    {argv: `--target tls://127.0.0.1:443 ${PID}`, want: {engine: 'native', notes: []}},
    {argv: '--protocol tls', host: {nativeTls: false}, want: {engine: 'native', notes: []}},
    // Fan-out: the bundled server broadcasts (ws, SSE, stream) in the hold; --publish goes via a --target.
    {argv: '--protocol ws --hold 5s --broadcast-every 1s --broadcast-size 512', want: {fanout: {kind: 'broadcast', everyMs: 1000, size: 512}}},
    {argv: '--protocol wss --hold 5s --broadcast-every 250ms', want: {fanout: {kind: 'broadcast', everyMs: 250, size: 64}}},
    {argv: '--protocol sse --hold 5s --broadcast-every 1s', want: {fanout: {kind: 'broadcast', everyMs: 1000, size: 64}}},
    {argv: '--protocol stream --hold 5s --broadcast-every 1s --broadcast-size 100', want: {fanout: {kind: 'broadcast', everyMs: 1000, size: 100}}},
    {argv: '--protocol ws --broadcast-every 1s', want: usage('--broadcast-every broadcasts during the hold: give --hold too')},
    {argv: '--hold 5s --broadcast-every 1s', want: usage('--broadcast-every sends a WebSocket frame, an SSE event or a stream chunk: it needs --protocol ws, wss, sse or stream without --app, not tcp (a byte stream has no message to time)')},
    {argv: '--protocol tls --hold 5s --broadcast-every 1s', want: usage('--broadcast-every sends a WebSocket frame, an SSE event or a stream chunk: it needs --protocol ws, wss, sse or stream without --app, not tls (a byte stream has no message to time)')},
    {argv: '--app socketio --hold 5s --broadcast-every 1s', want: usage('--broadcast-every sends a WebSocket frame, an SSE event or a stream chunk: it needs --protocol ws, wss, sse or stream without --app, not --app socketio (an --app dialect has messages of its own)')},
    {argv: '--protocol ws --hold 5s --broadcast-every 5ms', want: usage('--broadcast-every must be from 10ms to 24h, got "5ms"')},
    {argv: '--protocol ws --hold 5s --broadcast-every 1s --broadcast-size 40', want: usage('--broadcast-size must be 48 bytes to 64KiB (it carries "c1m-fanout SEQ TIME"), got "40"')},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --hold 5s --broadcast-every 1s`, want: usage('--broadcast-every makes the bundled server broadcast; your own server (--target) is not told to')},
    {argv: `--target mqtt://127.0.0.1:1883 ${PID} --mqtt-subscribe room/1 --hold 5s --publish hi --publish-every 200ms`, want: {fanout: {kind: 'publish', everyMs: 200, text: 'hi', publisherReceives: true}}},
    {argv: `--target 127.0.0.1:4222 ${PID} --app nats --subject room.1 --hold 5s --publish hi`, want: {fanout: {kind: 'publish', everyMs: 1000, text: 'hi', publisherReceives: false}}},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --hold 5s --publish hi`, want: {fanout: {kind: 'publish', everyMs: 1000, text: 'hi', publisherReceives: true}}},
    {argv: `--target mqtt://127.0.0.1:1883 ${PID} --mqtt-subscribe room/# --hold 5s --publish hi`, want: usage('--publish: MQTT needs --mqtt-subscribe with a topic name (no + or #): every connection subscribes to it and the publisher publishes to it')},
    {argv: `--target mqtt://127.0.0.1:1883 ${PID} --hold 5s --publish hi`, want: usage('--publish: MQTT needs --mqtt-subscribe with a topic name (no + or #): every connection subscribes to it and the publisher publishes to it')},
    {argv: `--target 127.0.0.1:4222 ${PID} --app nats --subject room.> --hold 5s --publish hi`, want: usage('--publish: --app nats needs --subject with a plain subject (no * or >) that every connection subscribes to and the publisher publishes to')},
    // Socket.IO emits --event (message) in --namespace; Phoenix pushes --event (new_msg) on --topic.
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --app socketio --hold 5s --publish hi`, want: {fanout: {kind: 'publish', everyMs: 1000, text: 'hi', publisherReceives: true}}},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --app socketio --namespace /chat --event chat --hold 5s --publish hi`, want: {protocol: {kind: 'ws', path: '/socket.io/?EIO=4&transport=websocket', host: '127.0.0.1:8080', deflate: true, session: {app: 'socketio', namespace: '/chat', event: 'chat'}}, fanout: {kind: 'publish', everyMs: 1000, text: 'hi', publisherReceives: true}}},
    {argv: `--target ws://127.0.0.1:4000/ ${PID} --app phoenix --topic room:42 --event shout --hold 5s --publish hi`, want: {protocol: {kind: 'ws', path: '/socket/websocket?vsn=2.0.0', host: '127.0.0.1:4000', deflate: true, session: {app: 'phoenix', topic: 'room:42', event: 'shout'}}, fanout: {kind: 'publish', everyMs: 1000, text: 'hi', publisherReceives: true}}},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --app graphql-ws --hold 5s --publish hi`, want: usage('--publish: --app graphql-ws has no message to publish: nats (a PUB to --subject), stomp (a SEND to --destination), socketio (an event) and phoenix (a push on --topic) have')},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --app socketio --event chat --hold 5s`, want: usage('--event names the event --publish sends: give --publish too')},
    {argv: `--target 127.0.0.1:4222 ${PID} --app nats --subject room.1 --event chat --hold 5s --publish hi`, want: usage('--event is for --app socketio or --app phoenix, not --app nats')},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --app socketio --hold 5s --publish hi`, patch: {event: 'a"b'}, want: usage('--event must be 1 to 100 printable ASCII characters without spaces, quotes or backslashes, got "a\\"b"')},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --app socketio --hold 5s --publish hi`, patch: {event: 'x'.repeat(101)}, want: usage(`--event must be 1 to 100 printable ASCII characters without spaces, quotes or backslashes, got "${'x'.repeat(60)}"`)},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --app socketio --hold 5s --publish hi`, patch: {event: 'new msg'}, want: usage('--event must be 1 to 100 printable ASCII characters without spaces, quotes or backslashes, got "new msg"')},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --app socketio --event disconnect --hold 5s --publish hi`, want: usage('--event disconnect is an event Socket.IO keeps for itself, not a message a room relays')},
    {argv: `--target ws://127.0.0.1:4000/ ${PID} --app phoenix --event phx_join --hold 5s --publish hi`, want: usage('--event phx_join is an event Phoenix keeps for itself, not a message a room relays')},
    {argv: `--target ws://127.0.0.1:15674/ws ${PID} --app stomp --destination /topic/room --hold 5s --publish hi`, want: {fanout: {kind: 'publish', everyMs: 1000, text: 'hi', publisherReceives: true}}},
    {argv: `--target ws://127.0.0.1:15674/ws ${PID} --app stomp --destination /topic/room.* --hold 5s --publish hi`, want: usage('--publish: --app stomp needs --destination with a plain destination (no * or #) that every session subscribes to and the publisher sends to')},
    {argv: `--target ws://127.0.0.1:15674/ws ${PID} --app stomp --hold 5s --publish hi`, want: usage('--publish: --app stomp needs --destination with a plain destination (no * or #) that every session subscribes to and the publisher sends to')},
    {argv: `--target 127.0.0.1:8080 ${PID} --hold 5s --publish hi`, want: usage('--publish: tcp carries no messages c1m can publish: use ws://, mqtt://, --app nats or --app stomp')},
    {argv: '--protocol ws --hold 5s --publish hi', want: usage('--publish sends through your own server (--target); the bundled server broadcasts with --broadcast-every')},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --publish hi`, want: usage('--publish publishes during the hold: give --hold too')},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --hold 5s --publish hi --broadcast-every 1s`, want: usage('--publish sends through your server and --broadcast-every makes the bundled server send: one or the other')},
    {argv: `--target ws://127.0.0.1:8080/ ${PID} --hold 5s --publish hi`, patch: {publish: 'two\nlines'}, want: usage('--publish must be 1 to 1024 bytes of text without control characters (newlines, tabs)')},
    // --merge writes JSON only.
    {argv: '--merge a.json --out x.html', want: usage(`--merge writes JSON only; --out ${path.resolve('x.html')} asks for HTML`)},
    {argv: '--merge a.json b.json --out x.json', want: {kind: 'merge', files: ['a.json', 'b.json']}},
  ]
  checkRows<ProbeFlags>(Probe.flags, rows, (flags, host) => resolveProbeRequest(flags, {root: true, nativeTls: true, ...host} as ProbeHost))
})

describe('resolveClientRequest: the rules between client flags', () => {
  const to = '--conns 8 --target'
  const rows: Row[] = [
    {argv: `${to} 127.0.0.1:9000`, want: {host: '127.0.0.1', port: 9000, endpoints: ['127.0.0.1:9000'], conns: 8, sources: {kind: 'loopback'}, steps: 8, echo: true, engine: 'native', notes: []}},
    {argv: `${to} 127.0.0.1:65535 --ports 2`, want: usage('--ports 2 from port 65535 runs past 65535')},
    // --publish: one connection publishes through the server during the hold.
    {argv: `${to} mqtt://127.0.0.1:1883 --mqtt-subscribe room/1 --hold forever --publish hi --publish-every 2s`, want: {fanout: {kind: 'publish', everyMs: 2000, text: 'hi', publisherReceives: true}}},
    {argv: `${to} 127.0.0.1:4222 --app nats --subject room.1 --hold 10s --publish hi`, want: {fanout: {kind: 'publish', everyMs: 1000, text: 'hi', publisherReceives: false}}},
    {argv: `${to} mqtt://127.0.0.1:1883 --mqtt-subscribe room/1 --publish hi`, want: usage('--publish publishes during the hold: give --hold too')},
    {argv: `${to} ws://127.0.0.1:4000/ --app phoenix --event shout --hold 10s --publish hi`, want: {protocol: {kind: 'ws', path: '/socket/websocket?vsn=2.0.0', host: '127.0.0.1:4000', deflate: true, session: {app: 'phoenix', event: 'shout'}}, fanout: {kind: 'publish', everyMs: 1000, text: 'hi', publisherReceives: true}}},
    {argv: `${to} ws://127.0.0.1:4000/ --app phoenix --event shout --hold 10s`, want: usage('--event names the event --publish sends: give --publish too')},
    {argv: `${to} mqtt://127.0.0.1:1883 --mqtt-subscribe room/+ --hold 5s --publish hi`, want: usage('--publish: MQTT needs --mqtt-subscribe with a topic name (no + or #): every connection subscribes to it and the publisher publishes to it')},
    {argv: `${to} http://127.0.0.1:8080/events --http sse --hold 5s --publish hi`, want: usage('--publish: sse carries no messages c1m can publish: use ws://, mqtt://, --app nats or --app stomp')},
    {argv: `${to} 127.0.0.1:65534 --ports 2`, want: {endpoints: ['127.0.0.1:65534', '127.0.0.1:65535']}},
    {argv: '--conns 1 --shard 2/8 --target 127.0.0.1:9000', want: usage('--shard 2/8 of --conns 1 leaves this host no connection')},
    {argv: `${to} 10.0.0.2:9000 --shard 2/8 --source 10.0.0.5`, want: {conns: 1, steps: 1, sources: {kind: 'addresses', addresses: ['10.0.0.5']}, notes: []}},
    {argv: `${to} 10.0.0.2:9000 --shard 2/8`, want: {sources: {kind: 'kernel'}, notes: ['--shard 2/8: without --source the kernel picks the source ports, so the slice 9088-17151 is not used']}},
    {argv: `${to} 10.0.0.2:9000 --source 10.0.0.5 --source 1.2.3`, want: usage('--source must be an IPv4 address, as the target is, got "1.2.3"')},
    {argv: `${to} 10.0.0.2:9000 --source fd00:1::/64`, want: usage('--source fd00:1::/64 is an IPv6 prefix and the target is IPv4')},
    {argv: `${to} [::1]:9000 --source 10.0.0.5`, want: usage('--source must be an IPv6 address, as the target is, got "10.0.0.5"')},
    {argv: `${to} 127.0.0.1:9000 --hold 200h`, want: usage('--hold must be from 0 to 168h or forever, got "200h"')},
    {argv: `${to} http://127.0.0.1:9000/events --http sse`, want: {echo: false}},
    {argv: `${to} 127.0.0.1:9000 --ca ca.pem`, want: usage('--ca is for a target over TLS')},
    // The node client speaks every protocol of a target: only the bundled server refuses --engine node.
    {argv: `${to} ws://127.0.0.1:9000/ --engine node`, want: {engine: 'node', protocol: {kind: 'ws', path: '/', host: '127.0.0.1:9000', deflate: true}}},
    {argv: `${to} mqtt://127.0.0.1:1883 --no-ws-deflate`, want: usage('--no-ws-deflate is for a ws:// or wss:// target')},
    {argv: `${to} wss://127.0.0.1:9000/`, host: {nativeTls: false}, want: {engine: 'node', notes: [NO_TLS_NOTE]}},
    // Traffic during the hold: rounds or a rate, only with a hold that ends, never to a server that pushes.
    {argv: `${to} 127.0.0.1:9000 --hold 5s --message-size 64`, want: {traffic: {messageSize: 64, intervalMs: 1000}}},
    {argv: `${to} 127.0.0.1:9000 --hold 5s --message-size 64 --rate 8/60`, want: {traffic: {messageSize: 64, intervalMs: 0, rate: 0.133333333333}}},
    {argv: `${to} mqtt://127.0.0.1:1883 --hold 5s --message-size 64 --rate 100/s`, want: {protocol: {kind: 'mqtt', keepalive: 60, echo: true}, traffic: {messageSize: 64, intervalMs: 0, rate: 100}}},
    {argv: `${to} 127.0.0.1:9000 --hold 5s --message-size 64 --rate 100/s`, patch: {interval: '1s'}, want: usage('--rate spreads messages over the connections and --interval sends on all of them at once: give one of them')},
    {argv: `${to} 127.0.0.1:9000 --hold 5s --rate 100/s`, want: usage('--rate paces --message-size traffic: give --message-size too')},
    {argv: `${to} 127.0.0.1:9000 --hold forever --message-size 64`, want: usage('--message-size sends traffic during a hold that ends: give --hold a duration')},
    {argv: `${to} 127.0.0.1:9000 --message-size 64`, want: usage('--message-size sends traffic during a hold that ends: give --hold a duration')},
    {argv: `${to} 127.0.0.1:9000 --hold 5s --message-size 64 --no-echo`, want: usage('--message-size sends echo traffic, and --no-echo promises the server not one byte')},
    {argv: `${to} http://127.0.0.1:9000/events --http sse --hold 5s --message-size 64`, want: usage('--message-size is echo traffic (raw TCP, WebSocket frames, MQTT PUBLISHes), not for a server that pushes')},
  ]
  checkRows(Client.flags, rows, (flags: Parameters<typeof resolveClientRequest>[0], host) => resolveClientRequest(flags, {nativeTls: true, ...host}))
})

describe('resolveServerRequest: the rules between server flags', () => {
  const rows: Row[] = [
    {argv: '', want: {host: '127.0.0.1', port: 9000, reusePort: false, workers: 1, durationMs: Number.POSITIVE_INFINITY, intervalMs: 5000, protocol: {kind: 'tcp'}, engine: 'native', notes: []}},
    {argv: '--host 1.2.3', want: usage('--host must be an IPv4 or IPv6 address, got "1.2.3"')},
    {argv: '--host [::1', want: usage('--host must be an IPv4 or IPv6 address, got "[::1"')},
    {argv: '--reuse-port --engine node', want: usage('--reuse-port needs --engine native')},
    {argv: '--reuse-port --conns 2M', want: {reusePort: true, workers: 2, notes: ['with --reuse-port the kernel spreads connections by hash: give a worker or two more than --conns needs']}},
    {argv: '--port 65535 --workers 2', want: usage('ports 65535-65536 run past 65535')},
    {argv: '--port 65535 --workers 2 --reuse-port', want: {port: 65_535, workers: 2}},
    {argv: '--port 0 --workers 2', want: {port: 0, workers: 2}},
    {argv: '--conns 2M --workers 1', want: {workers: 1, notes: ['1 worker(s) hold at most 1048512 connections; --conns 2000000 needs 2']}},
    {argv: '--engine node --protocol ws', want: usage(NODE_BUNDLED)},
    {argv: '--engine node', want: {engine: 'node'}},
    {argv: '--protocol wss', host: {nativeTls: false}, want: {engine: 'native', notes: [], protocol: {kind: 'ws', path: '/', host: 'localhost', tls: {insecure: true, bundled: true}}}},
  ]
  checkRows(Server.flags, rows, (flags: Parameters<typeof resolveServerRequest>[0], host) => resolveServerRequest(flags, {hardNofile: 1_048_576, nativeTls: true, ...host}))
})
