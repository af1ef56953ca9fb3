// TLS under every protocol of the native client (tls://, wss://, https://, mqtts://), against
// real servers: nginx's TLS listener (Debian's nginx-light), npm ws behind Node's https server,
// a Node https SSE server and mosquitto with a TLS listener. Certificates come from a CA made
// here; the server's certificate is verified unless --insecure, so without --ca every connection
// fails with the reason, and a name the certificate does not carry fails too.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import type {ClientRunResult} from '../src/probe/run-client.js'
import {assertHeld, endNotes, REPO_ROOT, runJson} from './helpers.js'
import {findProgram, freePort, startNodeServer, stopPids, waitForPort} from './server-helpers.js'
import {makeCerts, type TestCerts} from './tls-certs.js'
import {probeWithIndependentRss} from './independent-rss.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-tls-'))
const pids: number[] = []
let certs: TestCerts
before(() => {
  certs = makeCerts(dir)
})
after(async () => {
  await stopPids(pids)
  rmSync(dir, {recursive: true, force: true})
})

const nginx = findProgram('nginx')
const mosquitto = findProgram('mosquitto')
const TLS_VERSION = /^TLSv1\.[23]$/

/** nginx with one worker and a TLS listener; it holds a silent TLS connection for 60 s. */
async function startNginx(): Promise<{port: number; pid: number}> {
  const port = await freePort()
  const prefix = path.join(dir, `nginx-${port}`)
  mkdirSync(path.join(prefix, 'tmp'), {recursive: true})
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${prefix}/tmp/${t};`).join(' ')
  writeFileSync(path.join(prefix, 'nginx.conf'), `daemon off;
master_process on;
user root;
worker_processes 1;
worker_rlimit_nofile 8192;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 4096; }
http { access_log off; ${temp}
  server { listen 127.0.0.1:${port} ssl backlog=4096; ssl_certificate ${certs.cert}; ssl_certificate_key ${certs.key}; location / { return 204; } } }
`)
  const master: ChildProcess = spawn(nginx!, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')], {stdio: 'ignore'})
  pids.push(master.pid!)
  await waitForPort(port)
  return {port, pid: master.pid!}
}

/** A Node program printing "port N" first; npm ws is resolved from the repository. */
async function startNode(code: string): Promise<{port: number; pid: number}> {
  const server = await startNodeServer(code)
  pids.push(server.pid)
  return server
}

const tlsOptions = () => `{key: fs.readFileSync(${JSON.stringify(certs.key)}), cert: fs.readFileSync(${JSON.stringify(certs.cert)})}`

describe('c1m probe over TLS against nginx', {skip: nginx || process.env.CI ? false : 'nginx is not installed (.ci/run installs nginx-light)'}, () => {
  let server: {port: number; pid: number}
  before(async () => {
    server = await startNginx()
  })

  it('tls://: every connection handshakes with the certificate verified against --ca; the session and the time to open are reported', async () => {
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--target', `tls://127.0.0.1:${server.port}`, '--server-pid', String(server.pid), '--ca', certs.ca, '--conns', '2000', '--steps', '2', '--settle', '200ms', '--no-echo'])
    assertHeld(exitCode, stderr + endNotes(envelope))
    const r = envelope.result
    assert.equal(r.protocol, 'tcp')
    assert.match(r.tls!.version, TLS_VERSION)
    assert.ok(r.tls!.cipher.length > 0)
    assert.equal(r.tls!.verified, true)
    assert.deepEqual(r.steps.map((s) => s.openMs?.count), [1000, 1000], 'every connection of each step timed')
    for (const step of r.steps) assert.ok(step.openMs!.p50 <= step.openMs!.p99 && step.openMs!.p99 <= step.openMs!.max && step.openMs!.p50 > 0)
    // A TLS connection costs nginx far more than a bare socket: the handshake's state stays.
    assert.ok(r.fit.server.bytesPerConn > 1000, `nginx grew ${r.fit.server.bytesPerConn} B per TLS connection`)
  })

  it("c1m's per-connection figure for nginx's TLS connections is within 10% of the RSS the test reads from /proc", async () => {
    // A fresh nginx: one that served earlier runs keeps their freed memory, and that would hide growth.
    const fresh = await startNginx()
    const conns = 3000
    const {envelope, exitCode, stderr, independentPerConn} = await probeWithIndependentRss<ProbeRunReport>(['--target', `tls://127.0.0.1:${fresh.port}`, '--server-pid', String(fresh.pid), '--ca', certs.ca, '--steps', '3', '--settle', '200ms', '--no-echo'], fresh.pid, conns)
    assertHeld(exitCode, stderr + endNotes(envelope))
    const ratio = envelope.result.fit.server.bytesPerConn / independentPerConn
    assert.ok(ratio > 0.9 && ratio < 1.1, `c1m ${Math.round(envelope.result.fit.server.bytesPerConn)} B, /proc ${Math.round(independentPerConn)} B per connection (ratio ${ratio.toFixed(3)})`)
  })

  it('without --ca the self-signed chain is refused: exit 10, the reason given, no connection counted', async () => {
    const {envelope, exitCode} = await runJson(['probe', '--target', `tls://127.0.0.1:${server.port}`, '--server-pid', String(server.pid), '--conns', '200', '--steps', '2'])
    assert.equal(exitCode, 10)
    assert.match(envelope.error!.message, /opened 0 of 100 connections \(tls handshake: certificate verify failed: (self-signed|unable to get local issuer)/)
    assert.match(envelope.error!.suggestion!, /--ca FILE/)
  })

  it('--servername: the name the certificate carries passes, another fails with "hostname mismatch"; --insecure skips the check', async () => {
    const ok = await runJson<ClientRunResult>(['client', '--target', `tls://127.0.0.1:${server.port}`, '--ca', certs.ca, '--servername', 'c1m.test', '--conns', '100', '--no-echo'])
    assert.equal(ok.exitCode, 0, ok.stderr)
    assert.equal(ok.envelope.result.established, 100)
    const wrong = await runJson<ClientRunResult>(['client', '--target', `tls://127.0.0.1:${server.port}`, '--ca', certs.ca, '--servername', 'other.test', '--conns', '100', '--no-echo'])
    assert.equal(wrong.exitCode, 10)
    assert.equal(wrong.envelope.result.established, 0)
    assert.match(wrong.envelope.result.error, /hostname mismatch/)
    const insecure = await runJson<ProbeRunReport>(['probe', '--target', `tls://127.0.0.1:${server.port}`, '--server-pid', String(server.pid), '--insecure', '--conns', '200', '--steps', '2', '--settle', '100ms', '--no-echo'])
    assertHeld(insecure.exitCode, insecure.stderr + endNotes(insecure.envelope))
    assert.equal(insecure.envelope.result.tls!.verified, false)
  })
})

/** npm ws behind Node's https (ALPN http/1.1), echoing every message. */
const wssServer = () => `
const fs = require('node:fs'); const https = require('node:https')
const {WebSocketServer} = require(${JSON.stringify(path.join(REPO_ROOT, 'node_modules/ws/index.js'))})
const web = https.createServer({...${tlsOptions()}, ALPNProtocols: ['http/1.1']})
const wss = new WebSocketServer({server: web, perMessageDeflate: false})
wss.on('connection', (s) => s.on('message', (data, isBinary) => s.send(data, {binary: isBinary})))
web.listen(0, '127.0.0.1', () => console.log('port ' + web.address().port))`

/** A Node https SSE server: an event at once, then one every 500 ms. */
const sseServer = () => `
const fs = require('node:fs'); const https = require('node:https')
const web = https.createServer(${tlsOptions()}, (req, res) => {
  res.writeHead(200, {'Content-Type': 'text/event-stream'})
  res.write('data: hello\\n\\n')
  const timer = setInterval(() => res.write('data: tick\\n\\n'), 500)
  res.on('close', () => clearInterval(timer))
})
web.requestTimeout = 0; web.headersTimeout = 0
web.listen(0, '127.0.0.1', () => console.log('port ' + web.address().port))`

// Both engines speak WebSocket and HTTP push over TLS: the native client with OpenSSL, the node
// client with Node's tls.
for (const engine of ['native', 'node']) {
  describe(`c1m probe --engine ${engine} over TLS against Node servers`, () => {
    it('wss://: npm ws behind https: upgraded over TLS with ALPN http/1.1, echoed in frames', async () => {
      const server = await startNode(wssServer())
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `wss://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--ca', certs.ca, '--conns', '1000', '--steps', '2', '--settle', '200ms'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const r = envelope.result
      assert.equal(r.protocol, 'ws')
      assert.equal(r.tls!.alpn, 'http/1.1')
      assert.equal(r.tls!.verified, true)
      assert.equal(r.echo!.echoed, 1000)
      assert.equal(r.steps.at(-1)!.openMs!.count, 500, 'the time to open of every connection of the step')
    })

    it('https:// --http sse: the stream opens over TLS and its events are counted during the hold', async () => {
      const server = await startNode(sseServer())
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `https://127.0.0.1:${server.port}/events`, '--http', 'sse', '--server-pid', String(server.pid), '--ca', certs.ca, '--conns', '500', '--steps', '2', '--settle', '100ms', '--hold', '2s'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const r = envelope.result
      assert.equal(r.protocol, 'sse')
      assert.match(r.tls!.version, TLS_VERSION)
      const events = r.hold!.messagesReceived!.events
      // 500 streams, an event every 500 ms, for 2 s: 3 to 6 each, whatever the timing.
      assert.ok(events >= 500 * 3 && events <= 500 * 6, `${events} events`)
      assert.equal(r.hold!.messagesReceived!.bytes, events * 'data: tick\n\n'.length)
    })

    it('wss:// without --ca: every connection fails with the reason (exit 10)', async () => {
      const server = await startNode(wssServer())
      const {envelope, exitCode} = await runJson(['probe', '--engine', engine, '--target', `wss://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--conns', '100', '--steps', '2'])
      assert.equal(exitCode, 10)
      // OpenSSL's words and Node's differ for a server that sends its own certificate alone.
      assert.match(envelope.error!.message, /tls handshake: certificate verify failed: (unable to get local issuer|unable to verify the first certificate)/)
    })
  })
}

describe('without the OpenSSL headers', () => {
  const none = () => {
    const empty = path.join(dir, 'no-openssl')
    mkdirSync(empty, {recursive: true})
    return {C1M_OPENSSL_INCLUDE: empty}
  }

  it('the node engine opens a wss:// target instead of the native one, and says so', async () => {
    const server = await startNode(wssServer())
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--target', `wss://127.0.0.1:${server.port}/`, '--server-pid', String(server.pid), '--ca', certs.ca, '--conns', '300', '--steps', '2', '--settle', '100ms'], {env: none()})
    assertHeld(exitCode, stderr + endNotes(envelope))
    assert.deepEqual(envelope.warnings, ['the native programs are built without TLS here (no OpenSSL headers: apt-get install libssl-dev); the node engine opens these connections instead'])
    assert.match(stderr, /starting 1 load client \(node\)/)
    assert.equal(envelope.result.echo!.echoed, 300)
  })

  it('--protocol wss, which the node engine cannot serve, fails at once with the package to install (exit 11)', async () => {
    const {envelope, exitCode} = await runJson(['probe', '--protocol', 'wss', '--conns', '100'], {env: none()})
    assert.equal(exitCode, 11)
    assert.match(envelope.error!.message, /TLS needs the native programs built with OpenSSL/)
    assert.match(envelope.error!.suggestion!, /apt-get install libssl-dev/)
  })
})

describe('c1m probe --target mqtts:// against mosquitto', {skip: mosquitto || process.env.CI ? false : 'mosquitto is not installed (.ci/run installs it)'}, () => {
  it('CONNACK 0 over TLS and PINGRESP for every connection', async () => {
    const port = await freePort()
    const conf = path.join(dir, 'mosquitto.conf')
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\npersistence false\nlog_dest none\nuser root\ncertfile ${certs.cert}\nkeyfile ${certs.key}\n`)
    const broker = spawn(mosquitto!, ['-c', conf], {stdio: 'ignore'})
    pids.push(broker.pid!)
    await waitForPort(port)
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--target', `mqtts://127.0.0.1:${port}`, '--server-pid', String(broker.pid), '--ca', certs.ca, '--conns', '1000', '--steps', '2', '--settle', '200ms'])
    assertHeld(exitCode, stderr + endNotes(envelope))
    assert.equal(envelope.result.protocol, 'mqtt')
    assert.match(envelope.result.tls!.version, TLS_VERSION)
    assert.equal(envelope.result.echo!.echoed, 1000)
  })
})

describe('TLS flags: bad input gets one line', () => {
  const cases: Array<[string[], number, RegExp]> = [
    [['--target', 'ws://127.0.0.1:9/', '--insecure'], 2, /--insecure is for a target over TLS/],
    [['--target', 'wss://127.0.0.1:9/', '--insecure', '--ca', '/etc/hostname'], 2, /--ca verifies .* --insecure skips/],
    [['--target', 'tls://127.0.0.1:9', '--ca', '/nonexistent/ca.pem'], 6, /--ca \/nonexistent\/ca.pem: cannot read it \(ENOENT\)/],
    [['--target', 'tls://127.0.0.1:9', '--servername', 'bad name!'], 2, /--servername must be a DNS name/],
    [['--target', 'tls://127.0.0.1:9', '--no-ws-deflate'], 2, /--no-ws-deflate is for a ws:\/\/ or wss:\/\/ target/],
  ]
  for (const [args, code, message] of cases) {
    it(`client ${args.join(' ')}: exit ${code}`, async () => {
      const {envelope, exitCode} = await runJson(['client', ...args, '--conns', '10'])
      assert.equal(exitCode, code)
      assert.match(envelope.error!.message, message)
    })
  }
})
