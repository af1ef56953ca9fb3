// c1m probe over IPv6 against real servers listening on [::1]: npm ws (both engines, and c1m's
// server figure against the RSS this test reads from /proc), nginx's TLS listener, mosquitto, Redis
// as raw TCP, a Node SSE and long-poll server (both engines); a host name resolved once, picked
// by --family, sent as SNI; and c1m server on "::", dual-stack.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {execa} from 'execa'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, BIN, endNotes, REPO_ROOT, run, runJson, type Envelope} from './helpers.js'
import {probeWithIndependentRss} from './independent-rss.js'
import {findProgram, startNodeServer, startMatching, stopPids} from './server-helpers.js'
import {makeCerts, type TestCerts} from './tls-certs.js'

const WS = path.join(REPO_ROOT, 'node_modules/ws/index.js')
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-ipv6-'))
const pids: number[] = []
let certs: TestCerts
before(() => {
  certs = makeCerts(dir, 'IP:::1,IP:127.0.0.1,DNS:c1m.test')
})
after(async () => {
  await stopPids(pids)
  rmSync(dir, {recursive: true, force: true})
})
const root = process.getuid?.() === 0

/** A free port on ::1. */
async function freePort6(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen({host: '::1', port: 0}, resolve))
  const {port} = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Wait (10 s at most) until [::1]:port accepts. */
async function waitForPort6(port: number): Promise<void> {
  const until = Date.now() + 10_000
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({host: '::1', port, family: 6}, () => resolve(Boolean(s.destroy())))
      s.on('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`nothing listened on [::1]:${port}`)
}

async function startNode(code: string): Promise<{port: number; pid: number}> {
  const server = await startNodeServer(code)
  pids.push(server.pid)
  return server
}

function spawnKept(program: string, args: string[]): ChildProcess {
  const child = spawn(program, args, {stdio: 'ignore'})
  pids.push(child.pid!)
  return child
}

/** A probe of `target` that must hold every connection over IPv6, to the address written. */
async function probe6(target: string, pid: number, conns: number, extra: string[] = []): Promise<ProbeRunReport> {
  const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--target', target, '--server-pid', String(pid), '--conns', String(conns), '--steps', '2', '--settle', '200ms', ...extra], {timeout: 120_000})
  assertHeld(exitCode, stderr + endNotes(envelope))
  const r = envelope.result
  assert.equal(r.family, 6)
  assert.match(r.target!.endpoint, /^\[::1\]:\d+$/)
  assert.equal(r.steps.at(-1)!.established, conns)
  return r
}

const WS_SERVER = `
const {WebSocketServer} = require(${JSON.stringify(WS)})
const wss = new WebSocketServer({host: '::1', port: 0, perMessageDeflate: false})
wss.on('connection', (s) => s.on('message', (data, isBinary) => s.send(data, {binary: isBinary})))
wss.on('listening', () => console.log('port ' + wss.address().port))`

describe('npm ws on [::1]', () => {
  for (const engine of ['native', 'node']) {
    it(`--engine ${engine}: every connection upgraded and echoed over IPv6`, async () => {
      const server = await startNode(WS_SERVER)
      const r = await probe6(`ws://[::1]:${server.port}/`, server.pid, 1000, ['--engine', engine])
      assert.equal(r.echo?.echoed, 1000)
    })
  }
  it("c1m's server figure agrees with the RSS read from /proc within 10%", async () => {
    const server = await startNode(WS_SERVER)
    const conns = 2000
    const {envelope, exitCode, stderr, independentPerConn} = await probeWithIndependentRss<ProbeRunReport>(['--target', `ws://[::1]:${server.port}/`, '--server-pid', String(server.pid), '--steps', '3', '--settle', '300ms', '--no-echo'], server.pid, conns)
    assertHeld(exitCode, stderr + endNotes(envelope))
    assert.equal(envelope.result.family, 6)
    const ratio = envelope.result.fit.server.bytesPerConn / independentPerConn
    assert.ok(ratio > 0.9 && ratio < 1.1, `c1m ${Math.round(envelope.result.fit.server.bytesPerConn)} B, /proc ${Math.round(independentPerConn)} B per connection (ratio ${ratio.toFixed(3)})`)
  })
})

const nginx = findProgram('nginx')
describe('nginx with a TLS listener on [::1]', {skip: nginx || process.env.CI ? false : 'nginx is not installed'}, () => {
  it('tls://[::1]: every connection handshakes, the certificate verified for IP ::1', async () => {
    const port = await freePort6()
    const prefix = path.join(dir, `nginx-${port}`)
    mkdirSync(path.join(prefix, 'tmp'), {recursive: true})
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${prefix}/tmp/${t};`).join(' ')
    writeFileSync(path.join(prefix, 'nginx.conf'), `daemon off;\nmaster_process on;\nuser root;\nworker_processes 1;\nworker_rlimit_nofile 8192;\npid ${prefix}/nginx.pid;\nerror_log ${prefix}/error.log;
events { worker_connections 4096; }
http { access_log off; ${temp}
  server { listen [::1]:${port} ssl backlog=4096; ssl_certificate ${certs.cert}; ssl_certificate_key ${certs.key}; location / { return 204; } } }\n`)
    const master = spawnKept(nginx!, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')])
    await waitForPort6(port)
    const r = await probe6(`tls://[::1]:${port}`, master.pid!, 1000, ['--ca', certs.ca, '--no-echo'])
    assert.equal(r.tls?.verified, true)
  })
})

const mosquitto = findProgram('mosquitto')
describe('mosquitto on [::1]', {skip: mosquitto || process.env.CI ? false : 'mosquitto is not installed'}, () => {
  for (const engine of ['native', 'node']) {
    it(`--engine ${engine}: every CONNECT answered over IPv6`, async () => {
      const port = await freePort6()
      const conf = path.join(dir, `mosquitto-${port}.conf`)
      writeFileSync(conf, `listener ${port} ::1\nallow_anonymous true\nmax_connections -1\npersistence false\nuser root\nlog_dest none\n`)
      const broker = spawnKept(mosquitto!, ['-c', conf])
      await waitForPort6(port)
      const r = await probe6(`mqtt://[::1]:${port}`, broker.pid!, 1000, ['--engine', engine])
      assert.equal(r.protocol, 'mqtt')
    })
  }
})

const redis = findProgram('redis-server')
describe('Redis on [::1] as raw TCP', {skip: redis || process.env.CI ? false : 'redis-server is not installed'}, () => {
  it('tcp://[::1]: every connection held', async () => {
    const port = await freePort6()
    const server = spawnKept(redis!, ['--port', String(port), '--bind', '::1', '--protected-mode', 'no', '--maxclients', '4000', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir, '--logfile', path.join(dir, `redis-${port}.log`)])
    await waitForPort6(port)
    await probe6(`tcp://[::1]:${port}`, server.pid!, 1000, ['--no-echo'])
  })
})

describe('HTTP push on [::1]', () => {
  const sse = `
const http = require('node:http')
const s = http.createServer((req, res) => { res.writeHead(200, {'Content-Type': 'text/event-stream'}); res.write('data: hi\\n\\n') })
s.requestTimeout = 0; s.headersTimeout = 0
s.listen(0, '::1', () => console.log('port ' + s.address().port))`
  const longPoll = `
const http = require('node:http')
const s = http.createServer((req, res) => {})
s.requestTimeout = 0; s.headersTimeout = 0
s.listen(0, '::1', () => console.log('port ' + s.address().port))`
  for (const engine of ['native', 'node']) {
    it(`--engine ${engine}: SSE and long-poll`, async () => {
      const a = await startNode(sse)
      assert.equal((await probe6(`http://[::1]:${a.port}/events`, a.pid, 500, ['--http', 'sse', '--engine', engine])).protocol, 'sse')
      const b = await startNode(longPoll)
      assert.equal((await probe6(`http://[::1]:${b.port}/poll`, b.pid, 500, ['--http', 'long-poll', '--engine', engine])).protocol, 'long-poll')
    })
  }
})

describe('a host name, resolved once and picked by --family', {skip: root ? false : 'needs root: /etc/hosts is replaced in a mount namespace of the test\'s own'}, () => {
  // c1m.test has both families only for c1m run under `unshare -m` with this file bound on /etc/hosts.
  let hosts: string
  let server: {port: number; pid: number}
  let child: ChildProcess
  before(async () => {
    hosts = path.join(dir, 'hosts')
    writeFileSync(hosts, '127.0.0.1 c1m.test\n::1 c1m.test\n')
    // A dual-stack WebSocket server over TLS on "::" that counts the SNI names it was sent.
    const started = await startMatching(['-e', `
const fs = require('node:fs'); const https = require('node:https')
const {WebSocketServer} = require(${JSON.stringify(WS)})
const names = {}
const s = https.createServer({key: fs.readFileSync(${JSON.stringify(certs.key)}), cert: fs.readFileSync(${JSON.stringify(certs.cert)})})
s.on('secureConnection', (t) => { names[t.servername] = (names[t.servername] || 0) + 1 })
const wss = new WebSocketServer({server: s, perMessageDeflate: false})
wss.on('connection', (c) => c.on('message', (d, isBinary) => c.send(d, {binary: isBinary})))
process.stdin.on('data', () => console.log(JSON.stringify(names)))
s.listen(0, '::', () => console.log('port ' + s.address().port))`], 'stdout', /^port (\d+)$/m)
    child = started.child
    pids.push(child.pid!)
    server = {port: Number(started.match[1]), pid: child.pid!}
  })
  async function named(family: string): Promise<{envelope: Envelope<ProbeRunReport>; exitCode: number; stderr: string}> {
    const args = ['probe', '--target', `wss://c1m.test:${server.port}/`, '--family', family, '--ca', certs.ca, '--server-pid', String(server.pid), '--conns', '300', '--steps', '2', '--settle', '200ms', '--json']
    const result = await execa('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, process.execPath, BIN, ...args], {reject: false, timeout: 120_000, env: {NO_COLOR: '1', C1M_PROBE_DIR: 'off'}})
    return {envelope: JSON.parse(result.stdout) as Envelope<ProbeRunReport>, exitCode: result.exitCode ?? -1, stderr: result.stderr}
  }
  for (const [family, address] of [['6', '[::1]'], ['4', '127.0.0.1']]) {
    it(`--family ${family} connects to ${address}, verifies the certificate for the name and sends it as SNI`, async () => {
      const {envelope, exitCode, stderr} = await named(family)
      assertHeld(exitCode, stderr + endNotes(envelope))
      const r = envelope.result
      assert.equal(r.target!.endpoint, `${address}:${server.port}`)
      assert.equal(r.target!.name, 'c1m.test')
      assert.equal(r.family, Number(family))
      assert.equal(r.tls?.verified, true)
      assert.equal(r.echo?.echoed, 300)
      assert.match(endNotes(envelope), new RegExp(`c1m.test resolved to ${family === '6' ? '::1' : '127\\.0\\.0\\.1'}`))
    })
  }
  it('the server was sent the name as SNI on every connection of both runs', async () => {
    const names = await new Promise<Record<string, number>>((resolve) => {
      child.stdout!.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()) as Record<string, number>))
      child.stdin!.write('names\n')
    })
    assert.deepEqual(names, {'c1m.test': 600})
  })
})

describe('localhost', () => {
  it('resolves through the system resolver; --family 6 is refused when it has no IPv6 address here, in one line', async () => {
    const server = await startNode(`require('node:net').createServer((c) => c.on('error', () => {})).listen(0, '127.0.0.1', function () { console.log('port ' + this.address().port) })`)
    const ok = await runJson<{established: number}>(['client', '--target', `localhost:${server.port}`, '--conns', '50', '--no-echo'])
    assert.equal(ok.exitCode, 0, ok.stderr)
    assert.match(ok.envelope.warnings.join('\n'), /localhost resolved to 127\.0\.0\.1/)
    const refused = await run(['client', '--target', `localhost:${server.port}`, '--family', '6', '--conns', '50'])
    assert.equal(refused.exitCode, 2)
    assert.match(refused.stderr.trim(), /^c1m: --target: localhost has no IPv6 address \(only IPv4: 127\.0\.0\.1\)/)
  })
  it('an address of the other family than --family asks for is refused', async () => {
    const result = await run(['client', '--target', '[::1]:9', '--family', '4', '--conns', '1'])
    assert.equal(result.exitCode, 2)
    assert.match(result.stderr, /::1 is an IPv6 address and --family asks for IPv4/)
  })
})

describe('c1m server on ::', () => {
  it('is dual-stack, says IPV6_V6ONLY 0, and c1m client reaches it over both families', async () => {
    const port = await freePort6()
    const {child, match} = await startMatching([BIN, 'server', '--host', '::', '--port', String(port), '--duration', '60s'], 'stderr', /^listening on .*$/m)
    pids.push(child.pid!)
    assert.match(match[0], new RegExp(`^listening on \\[::\\]:${port} \\(native, 1 worker\\), dual-stack: IPV6_V6ONLY 0`))
    for (const target of [`[::1]:${port}`, `127.0.0.1:${port}`]) {
      const result = await runJson<{established: number}>(['client', '--target', target, '--conns', '200'])
      assert.equal(result.exitCode, 0, result.stderr)
      assert.equal(result.envelope.result.established, 200)
    }
  })
})
