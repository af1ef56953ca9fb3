// --app phoenix in the node engine, as probes/app-phoenix.h: Phoenix channels over WebSocket, the
// V2 JSON serializer ([join_ref, ref, topic, event, payload]). Join --topic (room:lobby) with
// ["1","1",TOPIC,"phx_join",{}]; the session counts on the phx_reply to ref "1" with status ok,
// status error refuses it (quoted with the response); [null,REF,"phoenix","heartbeat",{}] every
// heartbeat interval (30 s unless set), its ok reply a heartbeat answered; other events on the
// topic are pushed; phx_error or phx_close on it ends the session. --publish pushes
// ["1",REF,TOPIC,EVENT,{"body":TEXT}] on the joined topic, EVENT from --event (new_msg).

/** The five parts of a V2 message, or undefined when it is not one. */
export function phxMessage(text) {
  let m
  try {
    m = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!Array.isArray(m) || m.length !== 5 || typeof m[2] !== 'string' || typeof m[3] !== 'string') return undefined
  const [joinRef, ref, topic, event, payload] = m
  return {joinRef, ref, topic, event, payload}
}

/** The heartbeats' refs: one sequence for the process, so each socket's are unique; never "1". */
let nextRef = 1

/**
 * The dialect, as node-app.mjs's are: options from the command line ({heartbeatEvery, topic}), and
 * heartbeat.every, the seconds between heartbeats the engine keeps (30 unless set).
 */
export function phoenix(options, heartbeat) {
  const topic = () => options.topic ?? 'room:lobby'
  return {
    name: 'phoenix',
    wsOnly: true,
    heartbeat(send) {
      if (++nextRef === 1) nextRef = 2
      send(JSON.stringify([null, String(nextRef), 'phoenix', 'heartbeat', {}]))
      return true
    },
    /** --publish: a push on the joined topic, the text as the payload's body. */
    publish(text) {
      if (++nextRef === 1) nextRef = 2
      return JSON.stringify(['1', String(nextRef), topic(), options.event ?? 'new_msg', {body: text}])
    },
    session() {
      if (heartbeat.every <= 0) heartbeat.every = options.heartbeatEvery > 0 ? options.heartbeatEvery : 30
      let joined = false
      return {
        start(send) {
          send(JSON.stringify(['1', '1', topic(), 'phx_join', {}]))
          return {}
        },
        onText(text, send, inSession) {
          const m = phxMessage(text)
          if (!m) return {refused: `phoenix: not a V2 message: ${text.slice(0, 60)}`}
          if (m.topic === 'phoenix') return m.event === 'phx_reply' && m.payload?.status === 'ok' ? {answered: true} : {}
          if (m.topic !== topic()) return {}
          if (m.event === 'phx_reply' && m.ref === '1' && !joined && inSession) {
            if (m.payload?.status === 'ok') {
              joined = true
              return {accepted: true}
            }
            return {refused: `phoenix: join refused: ${JSON.stringify(m.payload?.response ?? m.payload).slice(0, 150)}`}
          }
          if (m.event === 'phx_error' || m.event === 'phx_close') return {refused: `phoenix: ${m.event} on ${topic()}`}
          return m.event === 'phx_reply' ? {} : {pushed: true}
        },
      }
    },
  }
}
