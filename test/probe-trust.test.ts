// A probe against servers that refuse, answer wrongly or must not be written to: each run is
// against a real server started here (a node script, Redis), on 127.0.0.1, stopped by PID.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {findProgram, freePort, startWithFirstLine, stopPids, waitForPort} from './server-helpers.js'
import {assertHeld, endNotes, run, runJson} from './helpers.js'

interface ProbeJson {
  stopped?: string
  samples: Array<{conns: number}>
  refused?: {connections: number; firstBytes: string; attempts: number}
  echo?: {sent: number; echoed: number; mismatched: number; closed: number; firstBytes: string}
  hold?: {clientOpen: number; serverCounted: boolean; echo?: unknown}
  plan: {processesPerSide: number}
  fit: {problems?: string[]}
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-trust-'))
const started: ChildProcess[] = []
after(async () => {
  await stopPids(started.map((c) => c.pid!).filter(Boolean))
  rmSync(dir, {recursive: true, force: true})
})

/** A node TCP server on 127.0.0.1 running `onSocket(socket)` for each connection; prints its port first. */
async function startNodeServer(onSocket: string): Promise<{pid: number; port: number}> {
  const script = `const net = require('node:net'); const fs = require('node:fs');
const server = net.createServer((socket) => { socket.on('error', () => {}); ${onSocket} });
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
setTimeout(() => process.exit(0), 120000).unref();`
  const {child, line} = await startWithFirstLine(process.execPath, ['-e', script])
  started.push(child)
  return {pid: child.pid!, port: Number(line)}
}

const probe = (port: number, pid: number, more: string[]) =>
  runJson<ProbeJson>(['probe', '--target', `127.0.0.1:${port}`, '--server-pid', String(pid), '--conns', '600', '--steps', '3', '--settle', '300ms', ...more], {timeout: 90_000})

describe('the probe never reports a refused or wrong answer as a measurement', () => {
  it('a server that closes right after accept: exit 10, refused, attempts bounded, no fit claimed', async () => {
    const server = await startNodeServer('socket.destroy();')
    const {envelope, exitCode} = await probe(server.port, server.pid, ['--no-echo'])
    assert.equal(exitCode, 10)
    assert.match(envelope.error!.message, /the server refused \d+ connections: it closed them right after accepting/)
    // One client process: at most 2 x 600 + 1000 attempts, where the old loop made tens of thousands.
    assert.match(envelope.error!.message, /after (\d+) attempts/)
    const attempts = Number(/after (\d+) attempts/.exec(envelope.error!.message)![1])
    assert.ok(attempts <= 2 * 600 + 1000, `${attempts} attempts`)
  })

  it('Redis in protected mode (-DENIED to 127.x sources): exit 10 with its first bytes quoted', {skip: findProgram('redis-server') || process.env.CI ? false : 'redis-server is not installed (.ci/run installs it)'}, async () => {
    const port = await freePort()
    const {child} = await startWithFirstLine('sh', ['-c', `echo go; exec ${findProgram('redis-server')} --port ${port} --bind 127.0.0.1 --save '' --appendonly no --dir ${dir}`]).catch(() => ({child: undefined as never}))
    started.push(child)
    await waitForPort(port)
    const {envelope, exitCode} = await probe(port, child.pid!, ['--no-echo'])
    assert.equal(exitCode, 10)
    assert.match(envelope.error!.message, /answered "-DENIED Redis is running in protected mode/)
  })

  it('a server that answers with other bytes: the echo check counts none and quotes the answer, in both engines', async () => {
    const server = await startNodeServer("socket.on('data', (d) => socket.write(d.toString().toUpperCase()));")
    for (const engine of ['native', 'node']) {
      const {envelope, exitCode} = await probe(server.port, server.pid, ['--engine', engine])
      assert.equal(exitCode, 10, engine)
      const echo = envelope.result.echo!
      assert.deepEqual([echo.sent, echo.echoed, echo.mismatched, echo.closed], [600, 0, 600, 0], engine)
      assert.equal(echo.firstBytes, 'C1M ECHO CHECK!\n', engine)
      assert.match(envelope.error?.message ?? '', /600 of 600 connections did not echo \(600 answered with other bytes, first "C1M ECHO CHECK!\\x0a"\)/)
    }
  })

  it('--no-echo with --hold sends the server not one byte, and says the clients counted', async () => {
    const bytesFile = path.join(dir, 'bytes')
    const server = await startNodeServer(`socket.on('data', (d) => fs.appendFileSync(${JSON.stringify(bytesFile)}, d));`)
    const {envelope, exitCode, stderr} = await probe(server.port, server.pid, ['--no-echo', '--hold', '1s'])
    // 600 connections grow the slab by some 6 MiB: other work on a busy host may spoil that fit (exit 13)
    assertHeld(exitCode, endNotes(envelope))
    assert.ok(!envelope.warnings.some((w) => w.includes('never accepted')), envelope.warnings.join('\n'))
    assert.equal(envelope.result.hold!.clientOpen, 600)
    assert.equal(envelope.result.hold!.serverCounted, false)
    assert.equal(envelope.result.hold!.echo, undefined)
    assert.ok(!existsSync(bytesFile) || statSync(bytesFile).size === 0, `the server received: ${existsSync(bytesFile) ? readFileSync(bytesFile, 'utf8').slice(0, 80) : ''}`)
    assert.match(stderr, /clients hold 600 \(counted by c1m's clients; your server's own count is not known to c1m\)/)
  })

  it('--no-echo with --message-size is a usage error: traffic would be bytes sent', async () => {
    const {envelope, exitCode} = await runJson(['probe', '--target', '127.0.0.1:9', '--server-pid', String(process.pid), '--conns', '600', '--no-echo', '--hold', '1s', '--message-size', '64'])
    assert.equal(exitCode, 2)
    assert.match(envelope.error!.message, /--no-echo promises the server not one byte/)
  })
})

describe('a run the server stops part way', () => {
  it('exits 10 with the partial report written, its fit marked not a measurement', async () => {
    // Keeps the first 250 connections, closes every later one at once.
    const server = await startNodeServer("globalThis.n = (globalThis.n ?? 0) + 1; if (globalThis.n > 250) socket.destroy();")
    const out = path.join(dir, 'partial.json')
    const {exitCode, stderr} = await run(['probe', '--target', `127.0.0.1:${server.port}`, '--server-pid', String(server.pid), '--conns', '600', '--steps', '3', '--settle', '300ms', '--no-echo', '--out', out], {timeout: 90_000})
    assert.equal(exitCode, 10, stderr)
    const report = JSON.parse(readFileSync(out, 'utf8')) as ProbeJson
    assert.match(report.stopped!, /^the server refused \d+ connections?: it closed them right after accepting/)
    assert.deepEqual(report.samples.map((s) => s.conns), [0, 200])
    assert.equal(report.refused?.firstBytes, '')
    assert.ok(report.fit.problems!.some((p) => /stopped early/.test(p)), report.fit.problems!.join('; '))
  })
})

describe('nginx answers the echo check with 400 Bad Request', {skip: findProgram('nginx') || process.env.CI ? false : 'nginx is not installed (.ci/run installs it)'}, () => {
  const prefix = path.join(dir, 'nginx')
  let master: ChildProcess
  let port = 0
  before(async () => {
    port = await freePort()
    mkdirSync(path.join(prefix, 'tmp'), {recursive: true})
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${prefix}/tmp/${t};`).join(' ')
    writeFileSync(path.join(prefix, 'nginx.conf'), `master_process on;
user root;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 1024; }
http { access_log off; ${temp} server { listen 127.0.0.1:${port}; location / { return 204; } } }
`)
    master = spawn(findProgram('nginx')!, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-g', 'daemon off;'], {stdio: 'ignore'})
    started.push(master)
    await waitForPort(port)
  })

  it('counts none as echoed, quotes the 400 and exits 10', async () => {
    const {stdout, stderr, exitCode} = await run(['probe', '--target', `127.0.0.1:${port}`, '--server-pid', String(master.pid), '--conns', '400', '--steps', '2', '--settle', '300ms'], {timeout: 90_000})
    assert.equal(exitCode, 10, stderr)
    assert.match(stdout, /echo check: 0 of 400 connections echoed byte for byte; 400 answered with other bytes, first "HTTP\/1\.1 400 Bad Request\\x0d\\x0a/)
    assert.match(stderr, /400 of 400 connections did not echo \(400 answered with other bytes/)
  })
})
