#!/usr/bin/env node
// Measures the reference reports behind estimate's application-session presets (issue 23): real
// application servers, each held by c1m with the framework's own session (--app) for longer than
// its heartbeat period, each report written to reports/probe-<name>.json.
//   node bench/session-references.mjs [name ...]   (default: all; needs npm ci, nats-server,
//   rabbitmq-server; `npm run build` first, the RabbitMQ fixture is dist/test/rabbitmq-fixture.js)
// Each server runs on 127.0.0.1 with its open-file limit raised to the hard limit (20,000 here) in
// its own shell, and is stopped by PID at the end; nothing global changes.
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {freePort, waitForPort} from './ports.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MODULES = path.join(ROOT, 'node_modules')
const tmp = mkdtempSync(path.join(os.tmpdir(), 'c1m-session-refs-'))

const socketio = (deflate) => `
const http = require('node:http')
const {Server} = require(${JSON.stringify(`${MODULES}/socket.io`)})
const web = http.createServer()
new Server(web, {transports: ['websocket'], perMessageDeflate: ${deflate ? '{threshold: 0}' : 'false'}})
web.listen(Number(process.env.PORT), '127.0.0.1')`

const graphqlWs = (deflate) => `
const {WebSocketServer} = require(${JSON.stringify(`${MODULES}/ws`)})
const {useServer} = require(${JSON.stringify(`${MODULES}/graphql-ws/dist/use/ws.cjs`)})
const {buildSchema} = require(${JSON.stringify(`${MODULES}/graphql`)})
const {EventEmitter, on} = require('node:events')
const news = new EventEmitter()
news.setMaxListeners(0)
const schema = buildSchema('type Query { hello: String } type Subscription { news: String }')
const roots = {query: {hello: () => 'hi'}, subscription: {news: async function* () { for await (const [text] of on(news, 'news')) yield {news: text} }}}
const wss = new WebSocketServer({host: '127.0.0.1', port: Number(process.env.PORT), perMessageDeflate: ${deflate ? '{threshold: 0}' : 'false'}})
useServer({schema, roots}, wss)`

// Held past Engine.IO's pingInterval + pingTimeout (25 s + 20 s) and graphql-ws's keepalive.
const HOLD = ['--hold', '60s']
const RUNS = {
  'socketio-node': {conns: 10_000, node: socketio(false), target: (p) => `ws://127.0.0.1:${p}/`, args: ['--app', 'socketio', '--no-ws-deflate', ...HOLD]},
  'socketio-node-deflate': {conns: 10_000, node: socketio(true), target: (p) => `ws://127.0.0.1:${p}/`, args: ['--app', 'socketio', ...HOLD]},
  'graphql-ws-node': {conns: 10_000, node: graphqlWs(false), target: (p) => `ws://127.0.0.1:${p}/graphql`, args: ['--app', 'graphql-ws', '--subscribe', 'subscription { news }', '--no-ws-deflate', ...HOLD]},
  'graphql-ws-node-deflate': {conns: 10_000, node: graphqlWs(true), target: (p) => `ws://127.0.0.1:${p}/graphql`, args: ['--app', 'graphql-ws', '--subscribe', 'subscription { news }', ...HOLD]},
  nats: {conns: 18_000, nats: true, target: (p) => `tcp://127.0.0.1:${p}`, args: ['--app', 'nats', '--subject', 'c1m.ref', ...HOLD]},
  'rabbitmq-stomp': {conns: 5_000, rabbit: true, args: ['--app', 'stomp', '--destination', '/topic/c1m', '--no-ws-deflate', ...HOLD]},
  'rabbitmq-stomp-deflate': {conns: 5_000, rabbit: true, args: ['--app', 'stomp', '--destination', '/topic/c1m', ...HOLD]},
}

/** A program with its soft open-file limit at the hard one; the shell execs it, so the PID is its. */
function spawnRaised(command, args, env = {}) {
  return spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)"; exec "$@"', 'bash', command, ...args], {stdio: 'ignore', env: {...process.env, ...env}})
}

/** Start the run's server: {pid, target, stop()}. */
async function startServer(name, run) {
  if (run.rabbit) {
    const {startRabbit} = await import(pathToFileURL(path.join(ROOT, 'dist/test/rabbitmq-fixture.js')).href)
    const rabbit = await startRabbit()
    return {pid: rabbit.pid, target: `ws://127.0.0.1:${rabbit.ports.webStomp}/ws`, stop: () => rabbit.stop()}
  }
  const port = await freePort()
  let child
  if (run.nats) {
    const conf = path.join(tmp, 'nats.conf')
    writeFileSync(conf, `listen: 127.0.0.1:${port}\nmax_connections: 100000\n`)
    child = spawnRaised('nats-server', ['-c', conf])
  } else {
    const script = path.join(tmp, `${name}.cjs`)
    writeFileSync(script, run.node)
    child = spawnRaised(process.execPath, [script], {PORT: String(port)})
  }
  await waitForPort(port)
  return {pid: child.pid, target: run.target(port), stop: async () => { try { process.kill(child.pid, 'SIGTERM') } catch { /* already gone */ } }}
}

async function measure(name) {
  const run = RUNS[name]
  const server = await startServer(name, run)
  try {
    await new Promise((r) => setTimeout(r, 1000))
    const out = path.join(ROOT, 'reports', `probe-${name}.json`)
    const args = ['probe', '--target', server.target, '--server-pid', String(server.pid), '--conns', String(run.conns), '--steps', '4', '--settle', '1s', '--out', out, ...run.args]
    const started = performance.now()
    execFileSync(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], {stdio: ['ignore', 'inherit', 'inherit'], env: {...process.env, C1M_PROBE_DIR: 'off'}})
    console.log(`${name}: ${run.conns} sessions in ${((performance.now() - started) / 1000).toFixed(1)} s -> ${path.relative(ROOT, out)}`)
  } finally {
    await server.stop()
    await new Promise((r) => setTimeout(r, 1000))
  }
}

try {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(RUNS)
  for (const name of names) if (!RUNS[name]) throw new Error(`unknown run ${name}; one of ${Object.keys(RUNS).join(', ')}`)
  // One run that c1m refuses (a busy host: "not a measurement", exit 13) does not stop the others.
  const failed = []
  for (const name of names) {
    try {
      await measure(name)
    } catch (error) {
      failed.push(name)
      console.error(`${name}: not measured (${error.status === undefined ? error.message : `c1m exit ${error.status}`})`)
    }
  }
  if (failed.length > 0) {
    console.error(`not measured: ${failed.join(', ')}; run them again on a quiet host: node bench/session-references.mjs ${failed.join(' ')}`)
    process.exitCode = 1
  }
} finally {
  rmSync(tmp, {recursive: true, force: true})
}
