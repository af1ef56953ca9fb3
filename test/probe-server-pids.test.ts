// --server-pid given twice: Debian's haproxy in TCP mode in front of an npm ws server, each tree
// measured on its own and summed, and the sockets each holds per client connection counted (the
// proxy two, the backend one). And the held figure: a Node server that drops the garbage it made
// per connection and collects it during the hold shows a held figure below the ramp's slope.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {renderProbeReport} from '../src/reports/probe-text.js'
import {renderProbeHtml} from '../src/reports/probe-html.js'
import {assertHeld, endNotes, REPO_ROOT, runJson} from './helpers.js'
import type {ClientRunResult} from '../src/probe/run-client.js'
import {probeWithHoldHook, treeRssBytes} from './independent-rss.js'
import {findProgram, freePort, startNodeServer, startWithFirstLine, scratch, waitForPort} from './server-helpers.js'

const WS = path.join(REPO_ROOT, 'node_modules/ws/index.js')
const {dir, pids} = scratch('c1m-pids-')

const wsServer = `
const {WebSocketServer} = require(${JSON.stringify(WS)})
const wss = new WebSocketServer({host: '127.0.0.1', port: 0})
wss.on('connection', (s) => s.on('message', (data, isBinary) => s.send(data, {binary: isBinary})))
wss.on('listening', () => console.log('port ' + wss.address().port))`

/** haproxy in TCP mode on a free port in front of 127.0.0.1:backend; its PID and port. */
async function startHaproxy(backend: number): Promise<{pid: number; port: number}> {
  const port = await freePort()
  const config = path.join(dir, 'haproxy.cfg')
  writeFileSync(config, ['global', '  maxconn 8000', 'defaults', '  mode tcp', '  timeout connect 5s', '  timeout client 120s', '  timeout server 120s',
    'frontend fe', `  bind 127.0.0.1:${port}`, '  default_backend be', 'backend be', `  server s1 127.0.0.1:${backend}`, ''].join('\n'))
  const child = spawn(findProgram('haproxy')!, ['-db', '-f', config], {stdio: 'ignore'})
  pids.push(child.pid!)
  await waitForPort(port)
  return {pid: child.pid!, port}
}

describe('--server-pid for a proxy and its backend', {skip: findProgram('haproxy') ? false : 'haproxy is not installed'}, () => {
  it('haproxy (TCP mode) in front of npm ws: each tree on its own, summed within 10% of /proc, sockets counted', async (t) => {
    const backend = await startNodeServer(wsServer)
    pids.push(backend.pid)
    const proxy = await startHaproxy(backend.port)
    const conns = 3000
    const before = treeRssBytes(proxy.pid) + treeRssBytes(backend.pid)
    let during = 0
    const args = ['--target', `ws://127.0.0.1:${proxy.port}/`, '--server-pid', String(proxy.pid), '--server-pid', String(backend.pid), '--conns', String(conns), '--steps', '3', '--settle', '300ms', '--no-echo', '--hold', '8s']
    const {envelope, exitCode, stderr} = await probeWithHoldHook<ProbeRunReport>(args, () => {
      during = treeRssBytes(proxy.pid) + treeRssBytes(backend.pid)
    })
    assertHeld(exitCode, stderr + endNotes(envelope))
    const report = envelope.result
    const [haproxy, ws] = report.server!.processes
    assert.deepEqual([haproxy.pid, haproxy.name, ws.pid, ws.name], [proxy.pid, 'haproxy', backend.pid, 'node'])
    // HAProxy holds the client's socket and one to the backend; the backend its one.
    assert.equal(haproxy.socketsPerConnection, 2)
    assert.equal(ws.socketsPerConnection, 1)
    assert.equal(report.server!.socketsPerConnection, 3)
    // The kernel's figure per socket divides by the four sockets a connection is on this host.
    assert.equal(report.socketsPerConn, 4)
    assert.equal(report.fit.kernel.bytesPerSocket, report.fit.kernel.bytesPerConn / 4)
    // Each tree's figure is its own: the two add up to the sum's slope, and each is more than nothing.
    assert.ok(haproxy.bytesPerConnection > 500 && ws.bytesPerConnection > 500, `haproxy ${haproxy.bytesPerConnection} B, ws ${ws.bytesPerConnection} B`)
    assert.ok(Math.abs(haproxy.bytesPerConnection + ws.bytesPerConnection - report.fit.server.bytesPerConn) < 2)
    assert.ok(report.samples.every((s) => s.server.trees?.length === 2 && s.server.trees[0] + s.server.trees[1] === s.server.rss))
    // The hold's readings, and the settled figure c1m quotes, against the test's own /proc reading.
    const held = report.hold!.held!
    assert.ok(report.hold!.serverMemory!.length >= 5, `${report.hold!.serverMemory!.length} readings`)
    // npm ws on Node may still give back the garbage of the ramp during a short hold: then c1m says
    // it fell and quotes the ramp's slope, which is what is checked against /proc.
    assert.ok(held.trend === 'settled' || held.trend === 'falling', `the hold's readings ${held.trend}`)
    const quoted = held.trend === 'settled' ? held.bytesPerConn! : held.rampBytesPerConn
    const independent = (during - before) / conns
    t.diagnostic(`haproxy ${haproxy.bytesPerConnection} B (held ${haproxy.heldBytesPerConnection}), ws ${ws.bytesPerConnection} B (held ${ws.heldBytesPerConnection}); sum held ${held.bytesPerConn} B, ramp ${held.rampBytesPerConn} B, /proc ${Math.round(independent)} B per connection; kernel ${Math.round(report.fit.kernel.bytesPerSocket)} B per socket`)
    const ratio = quoted / independent
    assert.ok(ratio > 0.9 && ratio < 1.1, `c1m ${quoted} B (${held.trend}), /proc ${Math.round(independent)} B per connection (ratio ${ratio.toFixed(3)})`)
    const text = renderProbeReport(report)
    assert.match(text, /server processes \d+, \d+ and 0 child process\(es\) of theirs measured/)
    assert.match(text, new RegExp(`server ${proxy.pid} \\(haproxy, 1 process\\(es\\)\\): .* 2 socket\\(s\\) per connection`))
    assert.match(text, /the servers hold 3 socket\(s\) per client connection: 4 on this host/)
    assert.match(renderProbeHtml(report), new RegExp(`<p>server ${proxy.pid} \\(haproxy, 1 process\\(es\\)\\): `))
  })
})

describe('c1m client --server-pid', {skip: findProgram('haproxy') ? false : 'haproxy is not installed'}, () => {
  it('haproxy in front of npm ws: each tree, its sockets per connection, and the held figure', async (t) => {
    const backend = await startNodeServer(wsServer)
    pids.push(backend.pid)
    const proxy = await startHaproxy(backend.port)
    const {envelope, exitCode, stderr} = await runJson<ClientRunResult>(['client', '--target', `ws://127.0.0.1:${proxy.port}/`, '--server-pid', String(proxy.pid), '--server-pid', String(backend.pid), '--conns', '2000', '--steps', '2', '--no-echo', '--hold', '6s'], {timeout: 120_000})
    assert.equal(exitCode, 0, stderr)
    const trees = envelope.result.serverTrees!
    t.diagnostic(JSON.stringify({processes: trees.processes, held: trees.hold?.held}))
    assert.deepEqual(trees.processes.map((p) => [p.pid, p.name, p.socketsPerConnection]), [[proxy.pid, 'haproxy', 2], [backend.pid, 'node', 1]])
    assert.ok(trees.processes.every((p) => p.bytesPerConnection > 500), 'each tree grew')
    assert.ok(trees.hold!.serverMemory.length >= 5 && trees.hold!.serverMemory.every((r) => r.trees?.length === 2))
    assert.equal(trees.hold!.held.trend, 'settled')
    const bad = await runJson(['client', '--target', `127.0.0.1:${proxy.port}`, '--server-pid', String(proxy.pid), '--server-pid', String(proxy.pid), '--conns', '10'])
    assert.equal(bad.exitCode, 2)
    assert.match(bad.envelope.error!.message, /--server-pid \d+ is given twice/)
  })
})

// Garbage per connection (about 40 KiB of small objects), dropped and collected once no new
// connection came for 3 s, which is during the hold.
const collector = `
const net = require('node:net')
let garbage = []
let last = 0
net.createServer((s) => {
  s.on('error', () => {})
  garbage.push(Array.from({length: 1000}, (_, i) => ({i, text: 'garbage ' + i})))
  last = Date.now()
}).listen(0, '127.0.0.1', function () { console.log('port ' + this.address().port) })
setInterval(() => {
  if (garbage.length > 0 && Date.now() - last > 3000) {
    garbage = []
    global.gc()
  }
}, 200)`

describe('the held figure', () => {
  it('a server that collects its garbage during the hold: the held figure is below the ramp slope, and the text says so', async (t) => {
    const {child, line} = await startWithFirstLine(process.execPath, ['--expose-gc', '-e', collector])
    pids.push(child.pid!)
    const port = Number(/^port (\d+)$/.exec(line)![1])
    const {envelope, exitCode, stderr} = await probeWithHoldHook<ProbeRunReport>(['--target', `127.0.0.1:${port}`, '--server-pid', String(child.pid), '--conns', '2000', '--steps', '3', '--settle', '300ms', '--no-echo', '--hold', '12s'], () => {})
    assertHeld(exitCode, stderr + endNotes(envelope))
    const report = envelope.result
    const held = report.hold!.held!
    const readings = report.hold!.serverMemory!.map((r) => r.rssBytes)
    t.diagnostic(`held ${held.bytesPerConn} B after ${held.settledAfter} s, ramp ${held.rampBytesPerConn} B; readings MiB ${readings.map((r) => (r / 2 ** 20).toFixed(1)).join(' ')}`)
    assert.ok(readings[0] > readings.at(-1)!, `memory fell during the hold: ${readings.join(' ')}`)
    assert.equal(held.trend, 'settled', `readings ${readings.join(' ')}`)
    assert.ok(held.settledAfter! > 0, 'settled only after the collection')
    assert.equal(held.differs, 'gave-back', `held ${held.bytesPerConn} B against the ramp's ${held.rampBytesPerConn} B`)
    assert.ok(held.bytesPerConn! < 0.9 * report.fit.server.bytesPerConn)
    assert.match(renderProbeReport(report), /servers held: .* per connection once settled .*: memory given back during the hold \(a garbage collector\)/)
    assert.match(renderProbeHtml(report), /<p>servers held: .*memory given back during the hold \(a garbage collector\)<\/p>/)
  })
})
