// The bundled server in the protocols beyond raw TCP and WebSocket: sse, stream, tls and wss.
// `c1m probe --protocol P` runs it against c1m's own client; `c1m server --protocol P` is checked
// by clients c1m did not write (Node's http and tls, npm ws), which judge its answers by their
// own rules: the status and headers, the chunked encoding, the TLS handshake, the upgrade.
import assert from 'node:assert/strict'
import {type ChildProcess} from 'node:child_process'
import http from 'node:http'
import path from 'node:path'
import tls from 'node:tls'
import {after, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, endNotes, REPO_ROOT, run, runJson} from './helpers.js'
import {startMatching, stopPids} from './server-helpers.js'

const children: ChildProcess[] = []
after(async () => stopPids(children.map((c) => c.pid!).filter(Boolean)))

/** `c1m server --protocol P` on a kernel-chosen port: the port. */
async function serve(protocol: string): Promise<number> {
  const {child, match} = await startMatching([path.join(REPO_ROOT, 'bin/run.js'), 'server', '--protocol', protocol, '--port', '0', '--interval', '1s'], 'stderr', /listening on 127\.0\.0\.1:(\d+)/)
  children.push(child)
  return Number(match[1])
}

/** The first bytes of the body of a GET, with the status and headers, by Node's http client. */
async function firstBody(port: number, method = 'GET'): Promise<{status: number; headers: http.IncomingHttpHeaders; body: string}> {
  return new Promise((resolve, reject) => {
    const request = http.request({host: '127.0.0.1', port, path: '/events', method, timeout: 5000}, (response) => {
      response.once('data', (chunk: Buffer) => {
        resolve({status: response.statusCode!, headers: response.headers, body: chunk.toString()})
        request.destroy()
      })
      response.once('end', () => resolve({status: response.statusCode!, headers: response.headers, body: ''}))
    })
    request.on('error', reject)
    request.on('timeout', () => reject(new Error('no answer within 5 s')))
    request.end()
  })
}

describe('c1m probe --protocol sse|stream|tls|wss', () => {
  for (const [name, kind] of [['sse', 'sse'], ['stream', 'stream'], ['tls', 'tcp'], ['wss', 'ws']] as const) {
    it(`${name}: every connection opens in the protocol and is held on both sides`, async () => {
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--protocol', name, '--conns', '2000', '--steps', '2', '--settle', '100ms', '--hold', '1s'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const r = envelope.result
      assert.equal(r.protocol ?? 'tcp', kind)
      assert.deepEqual([r.hold!.serverOpen, r.hold!.clientOpen, r.hold!.dropped], [2000, 2000, 0])
      if (name === 'sse' || name === 'stream') {
        assert.equal(r.echo, undefined, 'a stream gets no echo check')
        assert.equal(r.tls, undefined)
        return
      }
      assert.equal(r.echo!.echoed, 2000, 'echoed through TLS byte for byte')
      assert.equal(r.tls!.verified, false)
      assert.equal(r.tls!.bundled, true)
      assert.match(r.tls!.version, /^TLSv1\.[23]$/)
      assert.equal(r.tls!.alpn, name === 'wss' ? 'http/1.1' : '')
      // An idle TLS connection keeps its SSL object on each side: several KiB that raw TCP does not.
      assert.ok(r.fit.server.bytesPerConn > 4096, `server ${r.fit.server.bytesPerConn} B per connection`)
      assert.ok(r.fit.client.bytesPerConn > 4096, `client ${r.fit.client.bytesPerConn} B per connection`)
    })
  }

  it('--ca, --insecure and --servername are refused without --target, in one line (exit 2)', async () => {
    const {exitCode, stderr} = await run(['probe', '--protocol', 'wss', '--insecure'])
    assert.equal(exitCode, 2)
    assert.match(stderr, /--ca, --insecure and --servername are for a --target over TLS/)
    assert.equal(stderr.trim().split('\n').length, 1)
  })
})

describe('c1m server --protocol sse|stream|tls|wss, checked by clients c1m did not write', () => {
  it('sse: Node http gets 200, text/event-stream and an event; a POST gets 400', async () => {
    const port = await serve('sse')
    const {status, headers, body} = await firstBody(port)
    assert.deepEqual([status, headers['content-type'], body], [200, 'text/event-stream', 'data: c1m\n\n'])
    assert.equal((await firstBody(port, 'POST')).status, 400)
  })

  it('stream: Node http gets 200 and a chunked body, and unframes its first chunk', async () => {
    const port = await serve('stream')
    const {status, headers, body} = await firstBody(port)
    assert.deepEqual([status, headers['transfer-encoding'], body], [200, 'chunked', 'c1m\n'])
  })

  it("tls: Node's tls completes the handshake with the run's own certificate and gets its bytes echoed", async () => {
    const port = await serve('tls')
    const {echoed, subject} = await new Promise<{echoed: string; subject: string}>((resolve, reject) => {
      const socket = tls.connect({host: '127.0.0.1', port, rejectUnauthorized: false, timeout: 5000}, () => socket.write('hello over tls'))
      socket.once('data', (chunk) => {
        resolve({echoed: chunk.toString(), subject: String(socket.getPeerCertificate().subject.CN)})
        socket.destroy()
      })
      socket.on('error', reject)
    })
    assert.equal(echoed, 'hello over tls')
    assert.equal(subject, 'c1m-probe')
  })

  it('wss: npm ws upgrades over TLS and gets its message back', async () => {
    const port = await serve('wss')
    const WS = path.join(REPO_ROOT, 'node_modules/ws/index.js')
    const {default: WebSocket} = (await import(WS)) as {default: new (url: string, options: object) => import('node:events').EventEmitter & {send(m: string): void; close(): void}}
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = new WebSocket(`wss://127.0.0.1:${port}/chat`, {rejectUnauthorized: false})
      socket.on('open', () => socket.send('hello over wss'))
      socket.on('message', (message: Buffer) => {
        resolve(message.toString())
        socket.close()
      })
      socket.on('error', reject)
    })
    assert.equal(reply, 'hello over wss')
  })
})
