// The RabbitMQ fixture itself (test/rabbitmq-fixture.ts), checked with a client that is not c1m: npm ws
// speaks STOMP 1.2 to web-stomp, the broker's own rabbitmqctl counts the connection, and stop() leaves
// no process and no listener behind.
import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {describe, it} from 'node:test'

import {REPO_ROOT} from './helpers.js'
import {alive, rabbitmqServer, startRabbit} from './rabbitmq-fixture.js'
import {startWithFirstLine, stopPids} from './server-helpers.js'

const skip = rabbitmqServer || process.env.CI ? false : 'rabbitmq-server is not installed (apt-get install rabbitmq-server; .ci/run does)'
const WS = path.join(REPO_ROOT, 'node_modules/ws/index.js')

// CONNECT, then SUBSCRIBE and SEND to the same topic: prints the CONNECTED frame's headers and the
// MESSAGE's body, then holds the connection until killed.
const STOMP_CLIENT = (port: number) => `
const WebSocket = require(${JSON.stringify(WS)})
const ws = new WebSocket('ws://127.0.0.1:${port}/ws', ['v12.stomp'])
ws.on('open', () => ws.send('CONNECT\\naccept-version:1.2\\nhost:/\\nheart-beat:0,0\\n\\n\\0'))
ws.on('message', (data) => {
  const frame = data.toString()
  if (frame.startsWith('CONNECTED\\n')) {
    ws.send('SUBSCRIBE\\nid:0\\ndestination:/topic/c1m\\n\\n\\0')
    setTimeout(() => ws.send('SEND\\ndestination:/topic/c1m\\n\\nhello\\0'), 200)
  } else console.log(JSON.stringify(frame))
})
ws.on('close', (code) => { console.log('closed ' + code); process.exit(1) })`

const listening = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect(port, '127.0.0.1', () => {
    s.destroy()
    resolve(true)
  })
  s.on('error', () => resolve(false))
})

describe('the RabbitMQ fixture', {skip}, () => {
  it('web-stomp answers STOMP 1.2 over WebSocket, rabbitmqctl counts the connection, and stop() leaves nothing', {timeout: 180_000}, async () => {
    const rabbit = await startRabbit()
    let client: number | undefined
    try {
      const {child, line} = await startWithFirstLine(process.execPath, ['-e', STOMP_CLIENT(rabbit.ports.webStomp)], 20_000)
      client = child.pid
      assert.match(line, /^"MESSAGE\\nsubscription:0\\ndestination:\/topic\/c1m\\n.*\\n\\nhello\\u0000/)
      assert.equal(await rabbit.stompSessions(), 1)
    } finally {
      if (client) await stopPids([client])
      const stopped = await rabbit.stop()
      assert.ok(stopped.length >= 3, `the script, beam.smp and epmd at least: ${stopped.join(' ')}`)
      assert.deepEqual(stopped.filter((p) => alive(p)), [], 'every process the fixture started is gone')
      for (const port of Object.values(rabbit.ports)) assert.equal(await listening(port), false, `port ${port} closed`)
      assert.equal(existsSync(`/proc/${rabbit.pid}`), false)
      assert.equal(existsSync(rabbit.dir), false, 'its temp directory is removed')
    }
  })
})
