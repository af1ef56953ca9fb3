// What went wrong when a client or probe run opened or kept no connection, and what to do: one line
// each, from what the clients saw (the connect error, the server's first bytes, the WebSocket close
// codes). Pure: the commands print it.

import type {Protocol} from './protocol.js'
import {decodeClose, describeClose} from './ws-close.js'

/** What a client run saw that decides the hint. */
export interface FailureFacts {
  /** "IP:PORT" of the first target. */
  target: string
  protocol: Protocol['kind']
  /** The target's path (WebSocket, HTTP), if it has one. */
  path?: string
  /** The connect error, the ramp's stop, or the echo's failure, as a line. */
  what: string
  /** The first bytes any client kept of an answer it did not expect, or "". */
  firstBytes: string
  /** WebSocket close codes the server sent, with how many connections each. */
  closeCodes?: Map<number, number>
  /** The server closed every connection the clients had. */
  allClosed: boolean
}

const SOCKET_IO = 'the server speaks Socket.IO (Engine.IO packets), not plain WebSocket: it closes on the plain frame c1m echoes; pass --no-echo to hold the connections without the echo check, or point --target at a plain WebSocket endpoint'

/** A Socket.IO server: its path, its Engine.IO open packet, or its HTTP errors. */
function isSocketIo(facts: FailureFacts): boolean {
  return /socket\.io/i.test(`${facts.path ?? ''} ${facts.firstBytes}`) || /^0\{"sid"|"Transport unknown"|"Session ID unknown"/.test(facts.firstBytes)
}

/** What the server's first bytes say about the protocol it speaks, when it is not the one asked for. */
function protocolMismatch(facts: FailureFacts): string | undefined {
  const bytes = facts.firstBytes
  if (isSocketIo(facts)) return SOCKET_IO
  if (bytes.startsWith('HTTP/')) {
    const status = /^HTTP\/\S+ (\d{3}[^\r\n]*)/.exec(bytes)?.[1] ?? 'an HTTP answer'
    if (facts.protocol === 'tcp') {
      const sse = /text\/event-stream/i.test(bytes) ? 'Server-Sent Events: --target http://HOST:PORT/PATH --http sse' : 'for Server-Sent Events --target http://HOST:PORT/PATH --http sse, a chunked stream --http stream'
      return `the server speaks HTTP (it answered the echo bytes with ${status}), not a raw TCP echo: ${sse}, WebSocket ws://HOST:PORT/PATH, or --no-echo to hold connections without the echo check`
    }
    if (facts.protocol === 'ws') return `the server answered the WebSocket upgrade with ${status}: check the path in --target and any --header the server needs (a token or cookie)`
  }
  return undefined
}

/** The hint for a WebSocket close: a refusal by rule wants credentials, a shutdown wants a running server. */
function closeHint(close: {code: number; reason?: string}, facts: FailureFacts): string {
  if (isSocketIo(facts)) return SOCKET_IO
  const refused = [1008, 3000, 3003].includes(close.code) || (close.code >= 4000 && /auth|forbid|denied|token|login|permission/i.test(close.reason ?? ''))
  if (refused) return 'the server refused these clients: give it what it asks for (a token or cookie with --header \'NAME: VALUE\', the right path in --target)'
  if ([1001, 1012, 1013].includes(close.code)) return 'the server is going away or overloaded: try again when it runs, or with fewer connections'
  if ([1002, 1003, 1007].includes(close.code)) return 'the server did not take the frames c1m sends (16 bytes of text per echo): check that it is an echo server, or pass --no-echo'
  if (/did not echo/.test(facts.what) && [1000, 1005].includes(close.code)) {
    return "the server closed the WebSocket on c1m's echo frame (16 bytes of text): it does not echo plain frames (a Socket.IO or STOMP server wants its own packets); pass --no-echo to hold the connections without the echo check"
  }
  return 'check what the server expects of a client after the upgrade (its close reason is quoted)'
}

/**
 * One error for a run that opened or kept nothing, or did not echo: what happened and what to do.
 * The message is the facts' line with what the server said decoded; the suggestion fits the cause.
 */
export function describeFailure(facts: FailureFacts): {message: string; suggestion: string} {
  const [host, port] = [facts.target.slice(0, facts.target.lastIndexOf(':')), facts.target.slice(facts.target.lastIndexOf(':') + 1)]
  if (/Connection refused|ECONNREFUSED/i.test(facts.what)) {
    return {message: `${facts.what}: nothing listens at ${facts.target}`, suggestion: `start the server first (c1m server --port ${port} for the bundled echo server${host.startsWith('127.') ? '' : ', on that host'}), or correct --target`}
  }
  const framed = facts.protocol === 'ws' ? decodeClose(facts.firstBytes) : undefined
  const [topCode] = [...(facts.closeCodes ?? new Map<number, number>()).entries()].filter(([code]) => code !== 1006).sort((a, b) => b[1] - a[1])
  const close = framed ?? (topCode ? {code: topCode[0]} : undefined)
  if (close) {
    const said = framed ? `the server closed with ${describeClose(close)}` : `the server closed ${topCode![1]} with ${describeClose(close)}`
    return {message: `${facts.what}; ${said}`, suggestion: closeHint(close, facts)}
  }
  const mismatch = protocolMismatch(facts)
  if (mismatch) return {message: facts.what, suggestion: mismatch}
  if (facts.allClosed) {
    return {message: /closed/.test(facts.what) ? facts.what : `${facts.what}; the server closed every connection`, suggestion: `check that the server at ${facts.target} accepts clients from this host (its access rules: Redis protected-mode and bind, nginx allow/deny) and speaks ${facts.protocol === 'tcp' ? 'raw TCP echo (c1m server does; for your own server pass --no-echo)' : facts.protocol}`}
  }
  if (/did not echo/.test(facts.what)) return {message: facts.what, suggestion: 'the server must send every byte back (c1m server does); for a server that does not echo, pass --no-echo'}
  return {message: facts.what, suggestion: 'run c1m doctor --role client to see which limit stops connections'}
}
