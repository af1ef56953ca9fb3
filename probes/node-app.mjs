// --app NAME for the node engine's load client (echo-client.mjs), as client-app.h and app-*.h
// speak it in the native one: each dialect is a small object; its session(n) is one connection's
// state, whose start(send) and onText(text, send) say what happened:
//   {accepted: true}  the server accepted the session: the connection counts
//   {pushed: true}    a message the server pushed (an event, a MSG), counted (or N: N pushes in it)
//   {refused: why}    the server refused, in the application's terms: the connection is dropped
//   {answered: true}  a heartbeat answered (theirs or ours)
//   {skip: N}         lines only: N bytes after this line are a payload, not lines (NATS MSG)
// send(text) sends one message: a WebSocket frame, or the bytes as given over raw TCP.
// A dialect that can carry --publish has publish(text): its message carrying text to every session
// (sent as send would), or null when its options leave nothing to publish to.
import {randomBytes} from 'node:crypto'

import {phoenix} from './node-app-phoenix.mjs'
import {stomp} from './node-app-stomp.mjs'

/** The options of every dialect, as the command line gives them. */
export const appOptions = {send: [], expect: undefined, expectRegex: undefined, replies: [], greeting: false, namespace: '/', auth: undefined, eio: 4, initPayload: undefined, query: undefined, subject: undefined, topic: undefined, destination: undefined, login: undefined, heartbeatEvery: 0, event: undefined}

/** Take a dialect's option; true when taken, false when it is not one, 'bad' for a bad value. */
export function takeAppOption(name, value) {
  const o = appOptions
  if (value === undefined) return false
  if (name === '--send') o.send.push(value)
  else if (name === '--expect') o.expect = value
  else if (name === '--expect-regex') o.expectRegex = new RegExp(value)
  else if (name === '--reply' || name === '--reply-regex') {
    const arrow = value.indexOf('=>')
    if (arrow < 0) return 'bad'
    const match = value.slice(0, arrow)
    o.replies.push({test: name === '--reply' ? (text) => text === match : ((re) => (text) => re.test(text))(new RegExp(match)), answer: value.slice(arrow + 2)})
  } else if (name === '--namespace') {
    if (!/^\/[^,"\r\n]*$/.test(value)) return 'bad'
    o.namespace = value
  } else if (name === '--auth') {
    if (!value.startsWith('{') || !value.endsWith('}')) return 'bad'
    o.auth = value
  } else if (name === '--eio') {
    if (value !== '3' && value !== '4') return 'bad'
    o.eio = Number(value)
  } else if (name === '--init-payload') o.initPayload = value
  else if (name === '--subscribe-query') o.query = value
  else if (name === '--subject') {
    if (!/^\S+$/.test(value)) return 'bad'
    o.subject = value
  } else if (name === '--topic') {
    // eslint-disable-next-line no-control-regex -- a topic may hold no control character
    if (!/^[^\x00-\x1f"\\]{1,255}$/.test(value)) return 'bad'
    o.topic = value
  } else if (name === '--destination') {
    if (!/^[^\r\n]{1,511}$/.test(value)) return 'bad'
    o.destination = value
  } else if (name === '--login') {
    if (!/^[^:\r\n]+:[^\r\n]*$/.test(value) || value.length > 511) return 'bad'
    o.login = value
  } else if (name === '--event') {
    // For socketio and phoenix; 1 to 100 printable ASCII characters, no quote or backslash, as
    // app_plain_name.
    if (!/^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/.test(value)) return 'bad'
    o.event = value
  } else if (name === '--heartbeat-every') {
    if (!(Number(value) > 0)) return 'bad'
    o.heartbeatEvery = Number(value)
  } else return false
  return true
}

/** The per-process token of {id}. */
const token = `c1m${randomBytes(4).toString('hex')}`
const expand = (text, n) => text.replaceAll('{n}', String(n)).replaceAll('{id}', `${token}-${n}`)

/** Heartbeats: seconds between them (0: none), learnt from the server by Engine.IO 3. */
export const heartbeat = {every: 0}

const generic = {
  name: 'generic',
  session(n, lineEnd) {
    const o = appOptions
    let greeted = !o.greeting
    const expecting = o.expect !== undefined || o.expectRegex !== undefined
    const matches = (text) => (o.expectRegex ? o.expectRegex.test(text) : text === o.expect)
    const sendAll = (send) => {
      greeted = true
      for (const text of o.send) send(expand(text, n) + lineEnd)
      return expecting ? {} : {accepted: true}
    }
    return {
      start: (send) => (o.greeting ? {} : sendAll(send)),
      onText(text, send, inSession) {
        const reply = o.replies.find((r) => r.test(text))
        if (reply) {
          send(expand(reply.answer, n) + lineEnd)
          return {answered: true}
        }
        if (!inSession) return {pushed: true}
        if (!greeted) {
          const done = sendAll(send)
          if (done.accepted || o.send.length > 0) return done
        }
        return matches(text) ? {accepted: true} : {}
      },
    }
  },
}

const socketio = {
  name: 'socketio',
  wsOnly: true,
  heartbeat: (send) => (appOptions.eio === 3 ? (send('2'), true) : false),
  /** --publish: the event (--event, message) with the text as its one argument, in our namespace. */
  publish(text) {
    const {namespace, event} = appOptions
    return `42${namespace === '/' ? '' : `${namespace},`}${JSON.stringify([event ?? 'message', text])}`
  },
  session() {
    const {namespace, auth, eio} = appOptions
    const root = namespace === '/'
    let opened = false
    const forUs = (rest) => {
      if (root) return rest.startsWith('/') ? undefined : rest
      if (!rest.startsWith(namespace) || (rest.length > namespace.length && rest[namespace.length] !== ',')) return undefined
      return rest.slice(namespace.length + 1)
    }
    const join = (send) => send(`40${root ? '' : namespace}${!root && auth ? ',' : ''}${auth && eio === 4 ? auth : ''}`)
    return {
      start: () => ({}),
      onText(text, send, inSession) {
        if (text[0] === '0') {
          if (opened) return {}
          opened = true
          if (eio === 3) {
            if (heartbeat.every <= 0) heartbeat.every = (Number(/"pingInterval":(\d+)/.exec(text)?.[1]) || 25000) / 1000
            if (!root) join(send)
          } else join(send)
          return {}
        }
        if (text[0] === '1') return {refused: 'socket.io: the server closed the Engine.IO session'}
        if (text === '2') {
          send('3')
          return {answered: true}
        }
        if (text === '3') return {answered: true}
        if (text[0] !== '4' || text.length < 2) return {}
        const rest = forUs(text.slice(2))
        if (rest === undefined) return {}
        if (text[1] === '0') return inSession ? {accepted: true} : {}
        if (text[1] === '4') return {refused: `socket.io: namespace ${namespace} refused: ${rest.slice(0, 150)}`}
        if (text[1] === '1') return {refused: 'socket.io: the server disconnected the namespace'}
        return {pushed: true}
      },
    }
  },
}

const graphqlWs = {
  name: 'graphql-ws',
  wsOnly: true,
  subprotocol: 'graphql-transport-ws',
  session() {
    const {initPayload, query} = appOptions
    return {
      start(send) {
        send(initPayload ? `{"type":"connection_init","payload":${initPayload}}` : '{"type":"connection_init"}')
        return {}
      },
      onText(text, send, inSession) {
        let message
        try {
          message = JSON.parse(text)
        } catch {
          return {}
        }
        if (message.type === 'connection_ack') {
          if (!inSession) return {}
          if (query) send(JSON.stringify({id: '1', type: 'subscribe', payload: {query}}))
          return {accepted: true}
        }
        if (message.type === 'ping') {
          send('{"type":"pong"}')
          return {answered: true}
        }
        if (message.type === 'pong') return {answered: true}
        if (message.type === 'next') return {pushed: true}
        if (message.type === 'error') return {refused: `graphql-ws: error: ${JSON.stringify(message.payload).slice(0, 150)}`}
        return {}
      },
    }
  },
}

const nats = {
  name: 'nats',
  lines: true,
  binary: true,
  /** A PUB to --subject, which every connection subscribed to (CONNECT's echo false: not back to us). */
  publish(text) {
    const {subject} = appOptions
    return subject && !/[*> ]/.test(subject) ? `PUB ${subject} ${Buffer.byteLength(text)}\r\n${text}\r\n` : null
  },
  session() {
    const {subject, auth} = appOptions
    let connecting = false
    return {
      start: () => ({}),
      onText(text, send, inSession) {
        if (text.startsWith('INFO ')) {
          if (!inSession || connecting) return {}
          connecting = true
          const fields = auth && auth.length > 2 ? `,${auth.slice(1, -1)}` : ''
          send(`CONNECT {"verbose":false,"pedantic":false,"lang":"c1m","version":"1","protocol":1,"echo":false${fields}}\r\n${subject ? `SUB ${subject} 1\r\n` : ''}PING\r\n`)
          return {}
        }
        if (text === 'PING') {
          send('PONG\r\n')
          return {answered: true}
        }
        if (text === 'PONG') return inSession && connecting ? {accepted: true} : {answered: true}
        if (text.startsWith('-ERR')) return {refused: `nats: ${text.slice(0, 180)}`}
        if (text.startsWith('MSG ') || text.startsWith('HMSG ')) return {pushed: true, skip: Number(text.slice(text.lastIndexOf(' ') + 1)) + 2}
        return {}
      },
    }
  },
}

/** The dialects by --app's value. */
export const APPS = {generic, socketio, 'graphql-ws': graphqlWs, nats, phoenix: phoenix(appOptions, heartbeat), stomp: stomp(appOptions, heartbeat)}

/**
 * Splits bytes into lines (CR stripped) across reads, skipping a payload a dialect announced.
 * push(chunk, each) calls each(line) for every whole line; each returns the bytes to skip after it;
 * onSkip, when given, sees the skipped bytes (a NATS MSG's payload) as they pass.
 */
export class Lines {
  rest = Buffer.alloc(0)
  skip = 0
  push(chunk, each, onSkip) {
    let buffer = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk
    let skipped = 0
    for (;;) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, buffer.length)
        onSkip?.(buffer.subarray(0, take))
        this.skip -= take
        skipped += take
        buffer = buffer.subarray(take)
        if (this.skip > 0) break
      }
      const nl = buffer.indexOf(0x0a)
      if (nl < 0) break
      const end = nl > 0 && buffer[nl - 1] === 0x0d ? nl - 1 : nl
      const line = buffer.subarray(0, end).toString('utf8')
      buffer = buffer.subarray(nl + 1)
      const skip = each(line)
      if (skip === undefined) return skipped
      this.skip = skip
    }
    this.rest = Buffer.from(buffer.subarray(0, 65536))
    return skipped
  }
}
