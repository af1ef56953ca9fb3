// --app graphql-ws (issue 23) against npm graphql-ws 6's own server on npm ws, in a child node
// process on 127.0.0.1, with both engines. By the server's own counts: every connection got a
// connection_ack and none was closed with 4408 (connection_init in time); with --subscribe one
// subscription per connection, whose `next` messages c1m counts as pushed; the server tree's RSS from
// /proc agrees with c1m's figure within 10%. An onConnect that refuses is quoted by close code and
// reason (4403 Forbidden), exit 10.
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import type {ClientRunResult} from '../src/probe/run-client.js'
import {assertHeld, endNotes, runJson} from './helpers.js'
import {probeWithHoldHook, treeRssBytes} from './independent-rss.js'
import {MODULES, startAppServer} from './session-servers.js'
import {stopPids} from './server-helpers.js'

const pids: number[] = []
after(() => stopPids(pids))

const GRAPHQL_WS = (refuse: boolean) => `
const {WebSocketServer} = require(${JSON.stringify(`${MODULES}/ws`)})
const {useServer} = require(${JSON.stringify(`${MODULES}/graphql-ws/dist/use/ws.cjs`)})
const {buildSchema} = require(${JSON.stringify(`${MODULES}/graphql`)})
const {EventEmitter, on} = require('node:events')
const news = new EventEmitter()
news.setMaxListeners(0)
const schema = buildSchema('type Query { hello: String } type Subscription { news: String }')
const roots = {
  query: {hello: () => 'hi'},
  subscription: {news: async function* () { for await (const [text] of on(news, 'news')) yield {news: text} }},
}
let acks = 0, subscriptions = 0, closed4408 = 0
const wss = new WebSocketServer({host: '127.0.0.1', port: 0})
useServer({
  schema, roots,
  connectionInitWaitTimeout: 3000,
  // Returning true sends connection_ack: the server's own count of acknowledged connections.
  onConnect: () => ${refuse ? 'false' : '(acks++, true)'},
  onSubscribe: () => { subscriptions++ },
  onClose: (ctx, code) => { if (code === 4408) closed4408++ },
}, wss)
wss.on('listening', () => console.log('port ' + wss.address().port))
const counts = () => ({clients: wss.clients.size, acks, subscriptions, closed4408})
const command = (line) => { if (line.startsWith('publish ')) for (let i = 0; i < Number(line.slice(8)); i++) news.emit('news', 'hello') }
`

async function startGraphqlWs(refuse = false) {
  const server = await startAppServer(GRAPHQL_WS(refuse))
  pids.push(server.pid)
  return server
}

for (const engine of ['native', 'node']) {
  describe(`--app graphql-ws, ${engine} engine, against npm graphql-ws 6`, () => {
    it("every connection acknowledged and subscribed by the server's count, no 4408, next counted, figure within 10% of /proc", async (t) => {
      const server = await startGraphqlWs()
      const conns = 1500
      const before = treeRssBytes(server.pid)
      let during = 0
      let own: Record<string, number> = {}
      const run = await probeWithHoldHook<ProbeRunReport>(['--target', `ws://127.0.0.1:${server.port}/graphql`, '--server-pid', String(server.pid), '--conns', String(conns), '--steps', '3', '--settle', '300ms', '--hold', '6s', '--engine', engine, '--app', 'graphql-ws', '--subscribe', 'subscription { news }'], async () => {
        during = treeRssBytes(server.pid)
        own = await server.counts()
        server.tell('publish 2')
      })
      assertHeld(run.exitCode, run.stderr + endNotes(run.envelope))
      const report = run.envelope.result
      assert.equal(own.clients, conns, "the server's own count of clients during the hold")
      assert.equal(own.acks, conns, "the server's own count of connection_ack sent")
      assert.equal(own.subscriptions, conns, "the server's own count of subscriptions")
      assert.equal(own.closed4408, 0, 'no connection closed for want of connection_init')
      assert.equal(report.session?.accepted, conns)
      assert.equal(report.hold?.dropped, 0)
      assert.equal(report.hold?.messagesReceived?.events, conns * 2, 'the two next messages of each subscription')
      const independent = (during - before) / conns
      const ratio = report.fit.server.bytesPerConn / independent
      t.diagnostic(`graphql-ws ${engine}: c1m ${Math.round(report.fit.server.bytesPerConn)} B, /proc ${Math.round(independent)} B per connection (ratio ${ratio.toFixed(3)})`)
      assert.ok(ratio > 0.9 && ratio < 1.1, `c1m ${Math.round(report.fit.server.bytesPerConn)} B, /proc ${Math.round(independent)} B per connection (ratio ${ratio.toFixed(3)})`)
      await stopPids([server.pid])
    })

    it('a server whose onConnect refuses: quoted as graphql-ws: closed 4403 Forbidden, exit 10', async () => {
      const server = await startGraphqlWs(true)
      const {envelope, exitCode} = await runJson<ClientRunResult>(['client', '--target', `ws://127.0.0.1:${server.port}/`, '--conns', '30', '--steps', '1', '--engine', engine, '--app', 'graphql-ws'], {timeout: 60_000})
      assert.equal(exitCode, 10)
      assert.match(envelope.error?.message ?? '', /graphql-ws: closed 4403 Forbidden/)
      await stopPids([server.pid])
    })
  })
}
