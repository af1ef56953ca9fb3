import {openingName, type Protocol} from './protocol.js'
import {decodeClose, describeClose} from './ws-close.js'

/** Connections a server took and then refused: closed at once, or answered with bytes nobody asked for. */
export interface Refusal {
  connections: number
  /** The first bytes of the first unasked reply (a refusal banner, an error page), or "". */
  firstBytes: string
  /** Connection attempts the clients had made when the ramp stopped. */
  attempts: number
  /** --app: the first session refused, in the application's terms ("socket.io: namespace / refused: ..."). */
  session?: string
  /** What the client found wrong in the protocol's own terms ("permessage-deflate: ..."), if it said. */
  why?: string
}

/**
 * The engines' last error when it is a refusal in a protocol's own terms (it names the protocol
 * before a colon), not a system call's error; else undefined.
 */
export function protocolRefusal(error: string): string | undefined {
  return /^(permessage-deflate): /.test(error) ? error : undefined
}

/** Control characters shown as \xNN, and at most 64 characters: safe to print on one line. */
export function quoteBytes(bytes: string): string {
  const shown = [...bytes.slice(0, 64)].map((c) => (c >= ' ' && c <= '~' ? c : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)).join('')
  return JSON.stringify(shown).replaceAll('\\\\x', '\\x')
}

/**
 * Why the ramp stopped, in one line: how many were refused and what the server said. Over a
 * protocol with a handshake (ws, mqtt) the bytes are its answer to the handshake, not unasked.
 */
export function describeRefusal(refusal: Refusal, protocol: Protocol['kind'] = 'tcp'): string {
  const opening = openingName(protocol)
  const close = protocol === 'ws' ? decodeClose(refusal.firstBytes) : undefined
  const said = close ? `closed the WebSocket at once with ${describeClose(close)}` : opening ? `answered the ${opening} with ${quoteBytes(refusal.firstBytes)}` : `answered ${quoteBytes(refusal.firstBytes)} unasked`
  const what = refusal.why ? `sent what the client refused (${refusal.why})` : refusal.firstBytes ? said : 'closed them right after accepting'
  if (refusal.session) return `the server refused ${refusal.connections} session${refusal.connections === 1 ? '' : 's'}: ${refusal.session} (after ${refusal.attempts} attempts); these are not established connections`
  return `the server refused ${refusal.connections} connection${refusal.connections === 1 ? '' : 's'}: it ${what} (after ${refusal.attempts} attempts); these are not established connections`
}
