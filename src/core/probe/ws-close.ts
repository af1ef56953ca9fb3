// A WebSocket close frame as the clients keep its bytes, and what its code means (RFC 6455 section 7.4).

/** RFC 6455 section 7.4.1 and the IANA registry: what a WebSocket close code says. */
const CLOSE_CODES: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away: the server is shutting down or the endpoint left',
  1002: 'protocol error: the server rejected the WebSocket frames',
  1003: 'unsupported data: the server does not take this kind of message',
  1005: 'no status code given',
  1006: 'closed without a close frame',
  1007: 'invalid payload data: a message was not what its type says',
  1008: 'policy violation: the server refused the client by its rules',
  1009: 'message too big',
  1010: 'the client did not offer an extension the server needs',
  1011: 'internal error in the server',
  1012: 'the service is restarting',
  1013: 'try again later: the server is overloaded',
  1014: 'bad gateway',
  1015: 'TLS handshake failure',
}

/** The meaning of a WebSocket close code, by the RFC's ranges when it is not one of the named codes. */
export function closeCodeMeaning(code: number): string {
  if (CLOSE_CODES[code]) return CLOSE_CODES[code]
  if (code >= 4000 && code <= 4999) return "the server application's own code (4000-4999), not defined by the protocol"
  if (code >= 3000 && code <= 3999) return 'a code registered by a library or framework (3000-3999)'
  return 'not a valid close code'
}

/**
 * A WebSocket close frame's code and reason, from the first bytes a client kept: the whole frame (0x88,
 * length, payload), the payload after its length byte, or the bare payload (2-byte code, UTF-8 reason),
 * as the engines keep them. Undefined when the bytes are not a close.
 */
export function decodeClose(bytes: string): {code: number; reason: string} | undefined {
  const codes = [...bytes].map((c) => c.charCodeAt(0))
  if (codes.some((c) => c > 0xff)) return undefined
  let payload = codes
  if (codes[0] === 0x88 && codes.length >= 4) payload = codes.slice(2, 2 + (codes[1] & 0x7f))
  else if (codes.length >= 3 && codes[0] === codes.length - 1) payload = codes.slice(1)
  if (payload.length < 2) return undefined
  const code = payload[0] * 256 + payload[1]
  if (code < 1000 || code > 4999) return undefined
  const reason = new TextDecoder().decode(Uint8Array.from(payload.slice(2)))
  return [...reason].every((c) => c >= ' ' && c !== '\u007f') ? {code, reason} : undefined
}

/** "WebSocket close 4001 "unauthorized" (the server application's own code ...)". */
export function describeClose(close: {code: number; reason?: string}): string {
  // decodeClose lets only printable characters through.
  const reason = close.reason ? ` ${JSON.stringify(close.reason)}` : ''
  return `WebSocket close ${close.code}${reason} (${closeCodeMeaning(close.code)})`
}
