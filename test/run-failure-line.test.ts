// A client or probe that opened or kept nothing ends in one c1m line that says what happened and what to
// do, against real small servers: a closed port, a server that closes every connection, an HTTP (SSE)
// server taken for a TCP echo, a WebSocket server (npm ws) that closes with 4001 "unauthorized".
import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {REPO_ROOT, run, runJson} from './helpers.js'
import {freePort, startNodeServer, stopPids} from './server-helpers.js'

const WS = path.join(REPO_ROOT, 'node_modules/ws/index.js')
const pids: number[] = []
const servers: Array<net.Server | http.Server> = []
after(async () => {
  await stopPids(pids)
  for (const server of servers) server.close()
})

async function listen(server: net.Server | http.Server): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as net.AddressInfo).port
}

/** The one c1m line of a failed run: exit 10, no `warning:` line, the error last on stderr. */
function oneErrorLine(result: {stderr: string; exitCode: number}): string {
  assert.equal(result.exitCode, 10, result.stderr)
  const lines = result.stderr.split('\n')
  assert.deepEqual(lines.filter((l) => l.startsWith('warning:')), [], 'a failure is an error line, not a warning')
  const errors = lines.filter((l) => l.startsWith('c1m: '))
  assert.equal(errors.length, 1, result.stderr)
  assert.match(errors[0], /\[E_PROBE_FAILED, exit 10\]$/)
  return errors[0]
}

/** npm ws closing each connection with 4001 "unauthorized", at once or after delayMs. */
const wsServer = (delayMs: number) => `
const {WebSocketServer} = require(${JSON.stringify(WS)})
const wss = new WebSocketServer({host: '127.0.0.1', port: 0, perMessageDeflate: false})
wss.on('connection', (ws) => ${delayMs} > 0 ? setTimeout(() => ws.close(4001, 'unauthorized'), ${delayMs}) : ws.close(4001, 'unauthorized'))
wss.on('listening', () => console.log('port ' + wss.address().port))`

describe('a failed client or probe: one error line with what to do', () => {
  let closing = 0
  let sse = 0
  before(async () => {
    closing = await listen(net.createServer((socket) => socket.destroy()))
    sse = await listen(http.createServer((_req, res) => {
      res.writeHead(200, {'content-type': 'text/event-stream'})
      res.write('data: hello\n\n')
    }))
  })

  it('connection refused: nothing listens there; start the server or correct --target', async () => {
    const port = await freePort()
    const line = oneErrorLine(await run(['client', '--target', `127.0.0.1:${port}`, '--conns', '50']))
    assert.match(line, new RegExp(`^c1m: opened 0 of 50 connections \\(connect: Connection refused\\): nothing listens at 127\\.0\\.0\\.1:${port}; start the server first \\(c1m server --port ${port} `))
    const probe = oneErrorLine(await run(['probe', '--target', `127.0.0.1:${port}`, '--server-pid', String(process.pid), '--conns', '100', '--steps', '2']))
    assert.match(probe, new RegExp(`Connection refused.*; nothing listens at 127\\.0\\.0\\.1:${port}: start your server there, or correct --target`))
  })

  it('a server that closes every connection at once: said at once (no echo wait, no hold), with what to check', async () => {
    const started = performance.now()
    const result = await run(['client', '--target', `127.0.0.1:${closing}`, '--conns', '200', '--hold', '30s'], {timeout: 30_000})
    const seconds = (performance.now() - started) / 1000
    const line = oneErrorLine(result)
    // The old client waited for the echo of connections already closed, then held none for --hold.
    assert.ok(seconds < 8, `the run took ${seconds.toFixed(1)} s`)
    assert.doesNotMatch(result.stderr, /^holding /m)
    assert.match(line, /closed/)
    assert.match(line, new RegExp(`check that the server at 127\\.0\\.0\\.1:${closing} accepts clients from this host`))
  })

  it('an SSE server probed as a TCP echo: the HTTP answer is named and --http sse suggested; no hold on nothing', async () => {
    const result = await run(['probe', '--target', `127.0.0.1:${sse}`, '--server-pid', String(process.pid), '--conns', '100', '--steps', '2', '--settle', '100ms', '--hold', '20s'], {timeout: 60_000})
    const line = oneErrorLine(result)
    assert.match(line, /100 of 100 connections did not echo \(100 answered with other bytes, first "HTTP\/1\.1 400 Bad Request/)
    assert.match(line, /the server speaks HTTP \(it answered the echo bytes with 400 Bad Request\), not a raw TCP echo: .*--http sse/)
    assert.doesNotMatch(result.stderr, /^holding /m)
    const client = oneErrorLine(await run(['client', '--target', `127.0.0.1:${sse}`, '--conns', '50']))
    assert.match(client, /the server speaks HTTP .*--http sse/)
  })

  it('a WebSocket server closing with 4001 "unauthorized": the code and reason decoded, and what to give it', async () => {
    const ws = await startNodeServer(wsServer(0))
    pids.push(ws.pid)
    for (const engine of ['native', 'node']) {
      const line = oneErrorLine(await run(['client', '--engine', engine, '--target', `ws://127.0.0.1:${ws.port}/`, '--conns', '50']))
      assert.match(line, /WebSocket close 4001 "unauthorized" \(the server application's own code \(4000-4999\), not defined by the protocol\)/, engine)
      assert.match(line, /--header 'NAME: VALUE'/, engine)
    }
    const probe = oneErrorLine(await run(['probe', '--target', `ws://127.0.0.1:${ws.port}/`, '--server-pid', String(ws.pid), '--conns', '100', '--steps', '2', '--settle', '100ms']))
    assert.match(probe, /closed the WebSocket at once with WebSocket close 4001 "unauthorized"/)
  })

  it('a Socket.IO-like server (Engine.IO open packet, closes on a plain frame) at /socket.io/ is named as one', async () => {
    const eio = await startNodeServer(`
const {WebSocketServer} = require(${JSON.stringify(WS)})
const wss = new WebSocketServer({host: '127.0.0.1', port: 0, perMessageDeflate: false})
wss.on('connection', (ws) => {
  ws.send('0{"sid":"x1","upgrades":[],"pingInterval":25000,"pingTimeout":20000}')
  ws.on('message', (data) => { if (!/^[0-6]/.test(data.toString())) ws.close() })
})
wss.on('listening', () => console.log('port ' + wss.address().port))`)
    pids.push(eio.pid)
    const line = oneErrorLine(await run(['client', '--target', `ws://127.0.0.1:${eio.port}/socket.io/`, '--conns', '20']))
    assert.match(line, /WebSocket close 1005 \(no status code given\); the server speaks Socket\.IO .*pass --no-echo/)
  })

  it('closed with 4001 2 s after the upgrade: the echo fails and the line decodes the close; under --json it is the envelope\'s error', async () => {
    const ws = await startNodeServer(wsServer(2000))
    pids.push(ws.pid)
    const {envelope, exitCode} = await runJson<{established: number}>(['client', '--target', `ws://127.0.0.1:${ws.port}/`, '--conns', '50'])
    assert.equal(exitCode, 10)
    assert.equal(envelope.status, 10)
    assert.equal(envelope.result.established, 50, 'the result is kept beside the error')
    assert.equal(envelope.error?.code, 'E_PROBE_FAILED')
    assert.match(envelope.error!.message, /did not echo .*WebSocket close 4001/)
    assert.match(envelope.error!.suggestion!, /refused these clients/)
  })
})
