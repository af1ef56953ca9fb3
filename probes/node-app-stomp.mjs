// --app stomp in the node engine, as probes/app-stomp.h: STOMP 1.2 over WebSocket (subprotocol
// v12.stomp), each frame one text message. CONNECT (host:/ , --login as login and passcode, the
// heart-beat offered at the heartbeat interval, 10 s when unset); the session counts on CONNECTED,
// whose heart-beat sets the interval of the client's EOL heart-beats (0: none); --destination
// subscribes; MESSAGE is pushed; ERROR refuses, quoted with its message header and body.

/**
 * The frames in one message: [{command, headers: Map (first value of each name), body}], heart-beats
 * (bare EOLs) skipped; a content-length header gives the body's length (its bytes as characters).
 * Throws on a malformed frame.
 */
export function stompFrames(text) {
  const frames = []
  let at = 0
  for (;;) {
    while (text[at] === '\n' || (text[at] === '\r' && text[at + 1] === '\n')) at++
    if (at >= text.length) return frames
    const nl = text.indexOf('\n', at)
    if (nl < 0) throw new Error('a frame cut short')
    const command = text.slice(at, nl).replace(/\r$/, '')
    const headers = new Map()
    let line = nl + 1
    for (;;) {
      if (text[line] === '\n' || (text[line] === '\r' && text[line + 1] === '\n')) break
      const end = text.indexOf('\n', line)
      if (end < 0) throw new Error('a frame cut short')
      const h = text.slice(line, end).replace(/\r$/, '')
      if (h.includes('\0')) throw new Error('a NUL in a header')
      const colon = h.indexOf(':')
      if (colon > 0 && !headers.has(h.slice(0, colon))) headers.set(h.slice(0, colon), h.slice(colon + 1))
      line = end + 1
    }
    const body = line + (text[line] === '\n' ? 1 : 2)
    const length = headers.get('content-length')
    // content-length counts bytes, the text characters: where they differ, the first NUL ends the body
    const counted = length !== undefined && /^\d+$/.test(length) && text[body + Number(length)] === '\0'
    const nul = counted ? body + Number(length) : text.indexOf('\0', body)
    if (nul < 0) throw new Error('a frame cut short')
    frames.push({command, headers, body: text.slice(body, nul)})
    at = nul + 1
    if (text[at] === '\n') at++
    else if (text[at] === '\r' && text[at + 1] === '\n') at += 2
  }
}

/** The client's heart-beat send interval (ms) from its offer cx and CONNECTED's "sx,sy": 0 or max(cx, sy). */
export function stompSendEvery(cx, server) {
  const sy = Number(/^\s*\d+\s*,\s*(\d+)/.exec(server ?? '')?.[1] ?? 0)
  return cx === 0 || sy === 0 ? 0 : Math.max(cx, sy)
}

/** A header value with STOMP 1.2's escapes. */
export function stompEscape(value) {
  return value.replace(/[\\:\n\r]/g, (c) => ({'\\': '\\\\', ':': '\\c', '\n': '\\n', '\r': '\\r'})[c])
}

/** The CONNECT frame (with its NUL). */
export function stompConnect(offerMs, login) {
  const colon = login ? login.indexOf(':') : -1
  const auth = colon > 0 ? `login:${login.slice(0, colon)}\npasscode:${login.slice(colon + 1)}\n` : ''
  return `CONNECT\naccept-version:1.2\nhost:/\nheart-beat:${offerMs},${offerMs}\n${auth}\n\0`
}

/** ERROR as the engines quote it: "stomp: ERROR message:M (the body's first line)". */
export function stompRefusal(frame) {
  const body = frame.body.split(/\r?\n/)[0].slice(0, 100)
  return `stomp: ERROR message:${frame.headers.get('message') ?? ''}${body ? ` (${body})` : ''}`
}

/**
 * The dialect, as node-app.mjs's are: options from the command line ({heartbeatEvery, destination,
 * login}), and heartbeat.every, the seconds between heart-beats the engine keeps (set by the first
 * CONNECTED: 0 for none).
 */
export function stomp(options, heartbeat) {
  let negotiated = false
  const offerMs = () => (options.heartbeatEvery > 0 ? Math.round(options.heartbeatEvery * 1000) : 10_000)
  return {
    name: 'stomp',
    wsOnly: true,
    subprotocol: 'v12.stomp',
    /** An EOL heart-beat. */
    heartbeat(send) {
      send('\n')
      return true
    },
    /** --publish: a SEND to --destination (every session subscribed to it); null without a plain one. */
    publish(text) {
      const {destination} = options
      if (!destination || /[*#]/.test(destination)) return null
      return `SEND\ndestination:${stompEscape(destination)}\ncontent-length:${Buffer.byteLength(text)}\n\n${text}\0`
    },
    session() {
      let connected = false
      return {
        start(send) {
          send(stompConnect(offerMs(), options.login))
          return {}
        },
        onText(text, send, inSession) {
          let frames
          try {
            frames = stompFrames(text)
          } catch {
            return {refused: `stomp: not a STOMP frame: ${text.slice(0, 60)}`}
          }
          // EOLs alone: the server's heart-beat, once the session is connected.
          if (frames.length === 0) return connected ? {answered: true} : {}
          let accepted = false
          let pushed = 0
          for (const frame of frames) {
            if (frame.command === 'ERROR') return {refused: stompRefusal(frame)}
            if (frame.command === 'CONNECTED' && !connected && inSession) {
              connected = accepted = true
              if (!negotiated) {
                negotiated = true
                heartbeat.every = stompSendEvery(offerMs(), frame.headers.get('heart-beat')) / 1000
              }
              if (options.destination) send(`SUBSCRIBE\nid:0\ndestination:${stompEscape(options.destination)}\nack:auto\n\n\0`)
            } else if (frame.command === 'MESSAGE') pushed++
          }
          return {...(accepted ? {accepted} : {}), ...(pushed ? {pushed} : {})}
        },
      }
    },
  }
}
