/** Connections a server took and then refused: closed at once, or answered with bytes nobody asked for. */
export interface Refusal {
  connections: number
  /** The first bytes of the first unasked reply (a refusal banner, an error page), or "". */
  firstBytes: string
  /** Connection attempts the clients had made when the ramp stopped. */
  attempts: number
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
export function describeRefusal(refusal: Refusal, protocol: 'tcp' | 'ws' | 'mqtt' = 'tcp'): string {
  const said = protocol === 'tcp' ? `answered ${quoteBytes(refusal.firstBytes)} unasked` : `answered the ${protocol === 'ws' ? 'WebSocket upgrade' : 'MQTT CONNECT'} with ${quoteBytes(refusal.firstBytes)}`
  const what = refusal.firstBytes ? said : 'closed them right after accepting'
  return `the server refused ${refusal.connections} connection${refusal.connections === 1 ? '' : 's'}: it ${what} (after ${refusal.attempts} attempts); these are not established connections`
}
