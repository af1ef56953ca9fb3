// HTTP long-poll in the native client, against a Node http server written here: a connection
// counts once its GET is sent; each answer is read to its end (by Content-Length or chunked) and
// the GET sent again on the same connection; 200 is a message, 204 renews the poll, any other
// status ends the connection and is counted by status.
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, runJson} from './helpers.js'
import {startNodeServer, stopPids} from './server-helpers.js'

// /poll answers every held GET each 500 ms with a body of fixed length; /chunked does the same in
// two chunks; /idle answers 204 after 300 ms (the server's own timeout); /deny is a 403; /expire
// answers the first GET of a connection 200 after 2 s and every later one 410. /stats counts the
// GETs the server got per path, to check the client really asked again.
const SERVER = `
const http = require('node:http')
const held = {poll: [], chunked: []}
const gets = {}
const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0].slice(1)
  if (path === 'stats') { res.end(JSON.stringify(gets)); return }
  gets[path] = (gets[path] || 0) + 1
  if (path === 'deny') { res.writeHead(403); res.end('no'); return }
  if (path === 'idle') { setTimeout(() => { res.writeHead(204); res.end() }, 300); return }
  if (path === 'expire') {
    if (req.socket.polled) { res.writeHead(410); res.end('gone'); return }
    req.socket.polled = true
    setTimeout(() => res.end('first'), 2000)
    return
  }
  if (held[path]) held[path].push(res)
})
setInterval(() => {
  for (const res of held.poll.splice(0)) res.end('message-0123456789')
  for (const res of held.chunked.splice(0)) { res.write('part-one;'); res.end('part-two') }
}, 500)
server.keepAliveTimeout = 0
server.requestTimeout = 0
server.headersTimeout = 0
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port))`

let server: {port: number; pid: number} | undefined
after(async () => server && stopPids([server.pid]))

async function start(): Promise<{port: number; pid: number}> {
  server ??= await startNodeServer(SERVER)
  return server
}

async function gets(port: number): Promise<Record<string, number>> {
  const response = await fetch(`http://127.0.0.1:${port}/stats`)
  return (await response.json()) as Record<string, number>
}

function probe(engine: string, path: string, conns: number, hold: string) {
  return ['probe', '--engine', engine, '--target', `http://127.0.0.1:${server!.port}/${path}`, '--http', 'long-poll', '--server-pid', String(server!.pid), '--conns', String(conns), '--steps', '2', '--settle', '100ms', '--hold', hold]
}

// Both engines: the native client, and the node client (probes/node-protocol.mjs).
for (const engine of ['native', 'node']) {
  describe(`c1m probe --engine ${engine} --target http:// --http long-poll`, () => {
    it('each answer is a message, and the client asks again on the same connection', async () => {
      const {port} = await start()
      const before = (await gets(port)).poll ?? 0
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(probe(engine, 'poll', 500, '3s'))
      assertHeld(exitCode, stderr + endNotes(envelope))
      const r = envelope.result
      assert.equal(r.protocol, 'long-poll')
      assert.equal(r.echo, undefined, 'no echo check: the server pushes')
      assert.equal(r.hold?.dropped, 0)
      const {events, bytes} = r.hold!.messagesReceived!
      // 500 connections answered every 500 ms for 3 s
      assert.ok(events >= 500 * 4 && events <= 500 * 8, `answers ${events}`)
      assert.equal(bytes, events * 'message-0123456789'.length, 'the body of each answer, read by its Content-Length')
      assert.deepEqual(r.hold!.serverClosed, {connections: 0, closeCodes: {}})
      const asked = (await gets(port)).poll - before
      assert.ok(asked >= 500 + events, `the server got ${asked} GETs for ${events} answers on 500 connections`)
    })

    it('a chunked answer is read to its last chunk before the next GET', async () => {
      await start()
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(probe(engine, 'chunked', 200, '2s'))
      assertHeld(exitCode, stderr + endNotes(envelope))
      const {events, bytes} = envelope.result.hold!.messagesReceived!
      assert.ok(events >= 200 * 2 && events <= 200 * 6, `answers ${events}`)
      assert.equal(bytes, events * 'part-one;part-two'.length, 'the chunk framing taken out')
      assert.equal(envelope.result.hold?.dropped, 0)
    })

    it('204 renews the poll: no message, no connection lost, and the GETs go on', async () => {
      const {port} = await start()
      const before = (await gets(port)).idle ?? 0
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(probe(engine, 'idle', 200, '2s'))
      assertHeld(exitCode, stderr + endNotes(envelope))
      assert.equal(envelope.result.hold!.messagesReceived!.events, 0)
      assert.equal(envelope.result.hold?.dropped, 0)
      const asked = (await gets(port)).idle - before
      assert.ok(asked >= 200 * 4, `the server got ${asked} GETs from 200 connections over at least 2 s of 300 ms polls`)
    })

    it('a status other than 200 or 204 ends the connection, counted by its status (exit 10: the hold lost them)', async () => {
      await start()
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(probe(engine, 'expire', 100, '4s'))
      assert.equal(exitCode, 10, stderr)
      const {hold} = envelope.result
      assert.equal(hold!.messagesReceived!.events, 100, 'the first answer of each connection')
      assert.deepEqual(hold!.serverClosed, {connections: 100, closeCodes: {410: 100}})
      assert.equal(hold!.clientOpen, 0)
    })

    it('a 403 to the first GET is a refusal with the answer quoted (exit 10)', async () => {
      await start()
      const {envelope, exitCode} = await runJson(probe(engine, 'deny', 100, '0'))
      assert.equal(exitCode, 10)
      assert.match(envelope.error!.message, /HTTP\/1\.1 403 Forbidden/)
      assert.match(envelope.error!.suggestion!, /holds GET requests at that path and answers them 200 or 204/)
    })
  })
}
