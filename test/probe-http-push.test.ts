// HTTP server push (Server-Sent Events and a streamed chunked response) in the native client,
// against a Node http server written here: a connection counts once its GET got 200 (for SSE
// with text/event-stream); what the server pushes during --hold is counted, unframed from the
// chunked encoding; a 403 or the wrong Content-Type is a refusal with the answer quoted.
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, run, runJson} from './helpers.js'
import {startNodeServer, stopPids} from './server-helpers.js'

// Every stream gets one event at once, then one every 500 ms; /deny is a 403, /html is not a stream.
const SERVER = `
const http = require('node:http')
let streams = 0
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/deny')) { res.writeHead(403); res.end('no'); return }
  if (req.url.startsWith('/auth') && (req.headers.cookie !== 'session=ok' || req.headers['x-token'] !== 't1')) { res.writeHead(403); res.end('who?'); return }
  if (req.url.startsWith('/html')) { res.writeHead(200, {'Content-Type': 'text/html'}); res.write('<p>'); return }
  streams++
  res.writeHead(200, {'Content-Type': req.url.startsWith('/stream') ? 'application/octet-stream' : 'text/event-stream'})
  res.write('data: hello\\n\\n')
  const timer = setInterval(() => res.write('data: tick\\n\\n'), 500)
  res.on('close', () => clearInterval(timer))
})
server.keepAliveTimeout = 0
server.requestTimeout = 0
server.headersTimeout = 0
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port))`

let server: {pid: number} | undefined
let port = 0
after(async () => server && stopPids([server.pid]))

async function start(): Promise<void> {
  if (server) return
  const started = await startNodeServer(SERVER)
  server = started
  port = started.port
}

describe('c1m probe --target http:// --http sse|stream', () => {
  // Both engines: the native client, and the node client (probes/node-protocol.mjs).
  for (const engine of ['native', 'node']) {
    it(`--engine ${engine}: sse: every stream opens, and the events pushed during the hold are counted`, async () => {
      await start()
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `http://127.0.0.1:${port}/events`, '--http', 'sse', '--server-pid', String(server!.pid), '--conns', '1000', '--steps', '2', '--settle', '100ms', '--hold', '3s'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const r = envelope.result
      assert.equal(r.protocol, 'sse')
      assert.equal(r.echo, undefined, 'no echo check: the server pushes')
      assert.equal(r.hold?.dropped, 0)
      const events = r.hold!.messagesReceived!.events
      // 1,000 streams, one event every 500 ms, for 3 s (plus the time to read the counts)
      assert.ok(events >= 1000 * 5 && events <= 1000 * 8, `events ${events}`)
      assert.equal(r.hold!.messagesReceived!.bytes, events * 'data: tick\n\n'.length, 'payload bytes, the chunk framing taken out')
    })

    it(`--engine ${engine}: stream: each chunk is one message`, async () => {
      await start()
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `http://127.0.0.1:${port}/stream`, '--http', 'stream', '--server-pid', String(server!.pid), '--conns', '200', '--steps', '2', '--settle', '100ms', '--hold', '2s'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const {events, bytes} = envelope.result.hold!.messagesReceived!
      assert.ok(events >= 200 * 3 && events <= 200 * 6, `chunks ${events}`)
      assert.equal(bytes, events * 12)
    })

    for (const [name, path, quoted] of [['a 403', '/deny', /HTTP\/1\.1 403 Forbidden/], ['a 200 that is not an event stream', '/html', /Content-Type: text\/html/]] as const) {
      it(`--engine ${engine}: sse: ${name} is a refusal with the answer quoted (exit 10)`, async () => {
        await start()
        const {envelope, exitCode} = await runJson(['probe', '--engine', engine, '--target', `http://127.0.0.1:${port}${path}`, '--http', 'sse', '--server-pid', String(server!.pid), '--conns', '100', '--steps', '2'])
        assert.equal(exitCode, 10)
        assert.match(envelope.error!.message, /it answered the HTTP request with /)
        assert.match(envelope.error!.message, quoted)
        assert.match(envelope.error!.suggestion!, /streams at that path/)
      })
    }
  }

  it('--header: a stream that wants a cookie and a token opens with them and is refused without', async () => {
    await start()
    const base = ['probe', '--target', `http://127.0.0.1:${port}/auth`, '--http', 'sse', '--server-pid', String(server!.pid), '--conns', '200', '--steps', '2', '--settle', '100ms']
    const ok = await runJson<ProbeRunReport>([...base, '--header', 'Cookie: session=ok', '--header', 'X-Token: t1'])
    assertHeld(ok.exitCode, ok.stderr + endNotes(ok.envelope))
    const without = await runJson<ProbeRunReport>([...base, '--header', 'Cookie: session=ok'])
    assert.equal(without.exitCode, 10)
    assert.match(without.envelope.error!.message, /HTTP\/1\.1 403/)
  })

  it('an http:// target needs --http, and --http needs one, in one line (exit 2)', async () => {
    for (const [args, message] of [
      [['--target', 'http://127.0.0.1:80/', '--http', 'sse', '--server-pid', '1', '--header', 'no colon'], /--header must be "Name: value"/],
      [['--target', 'http://127.0.0.1:80/', '--http', 'sse', '--server-pid', '1', '--header', 'Host: evil'], /--header Host is one c1m writes itself/],
      [['--target', 'mqtt://127.0.0.1:80', '--server-pid', '1', '--header', 'A: b'], /--header is for an HTTP or WebSocket target/],
      [['--target', 'ws://127.0.0.1:80/', '--server-pid', '1', '--mqtt-keepalive', '5'], /--mqtt-keepalive is for an mqtt:\/\//],
      [['--target', 'mqtt://127.0.0.1:80', '--server-pid', '1', '--ws-deflate'], /--ws-deflate is for a ws:\/\/ or wss:\/\/ target/],
      [['--target', 'ws://127.0.0.1:80/', '--server-pid', '1', '--echo-each-step', '--no-echo'], /--echo-each-step needs the echo check/],
      [['--target', 'mqtt://127.0.0.1:80', '--server-pid', '1', '--mqtt-subscribe', ''], /--mqtt-subscribe must be a topic filter/],
      [['--target', 'http://127.0.0.1:80/', '--server-pid', '1'], /say what the server pushes with --http sse/],
      [['--http', 'sse'], /--http is for an http:\/\/ --target/],
      [['--target', 'ws://127.0.0.1:80/', '--server-pid', '1', '--http', 'sse'], /--http sse is for an http:\/\/ target/],
    ] as const) {
      const {exitCode, stderr} = await run(['probe', ...args])
      assert.equal(exitCode, 2, stderr)
      assert.match(stderr, message)
    }
  })
})
