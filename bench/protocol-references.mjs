#!/usr/bin/env node
// Measures the reference reports behind estimate's measured runtime presets: real servers in the
// protocol they speak, each probed by c1m, each report written to reports/probe-<name>.json.
//   node bench/protocol-references.mjs [name ...]   (default: all but node-wss; needs npm ci and mosquitto)
// node-ws runs npm ws under Node's cluster module so the tree passes the per-process descriptor cap
// (20,000 here); mosquitto is one process, so it stays under it (18,000).
// Every server is started here on 127.0.0.1 and stopped by PID at the end; nothing global changes.
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {freePort, waitForPort} from './ports.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const WS = path.join(ROOT, 'node_modules/ws/index.js')
const tmp = mkdtempSync(path.join(os.tmpdir(), 'c1m-refs-'))

const cluster = (workers, body) => `
const cluster = require('node:cluster')
if (cluster.isPrimary) {
  for (let i = 0; i < ${workers}; i++) cluster.fork()
  let up = 0
  cluster.on('listening', () => { if (++up === ${workers}) console.log('ready') })
} else {
${body}
}`

const wsBody = (deflate) => `
  const {WebSocketServer} = require(${JSON.stringify(WS)})
  const wss = new WebSocketServer({host: '127.0.0.1', port: Number(process.env.PORT), perMessageDeflate: ${deflate}})
  wss.on('connection', (s) => s.on('message', (data, isBinary) => s.send(data, {binary: isBinary})))`

const wssBody = `
  const fs = require('node:fs'); const https = require('node:https')
  const {WebSocketServer} = require(${JSON.stringify(WS)})
  const web = https.createServer({key: fs.readFileSync(process.env.KEY), cert: fs.readFileSync(process.env.CERT)})
  const wss = new WebSocketServer({server: web, perMessageDeflate: false})
  wss.on('connection', (s) => s.on('message', (data, isBinary) => s.send(data, {binary: isBinary})))
  web.listen(Number(process.env.PORT), '127.0.0.1')`

const sseBody = `
  const fs = require('node:fs'); const https = require('node:https')
  const s = https.createServer({key: fs.readFileSync(process.env.KEY), cert: fs.readFileSync(process.env.CERT)}, (req, res) => {
    res.writeHead(200, {'Content-Type': 'text/event-stream'}); res.write('data: hello\\n\\n')
  })
  s.requestTimeout = 0; s.headersTimeout = 0; s.keepAliveTimeout = 0
  s.listen(Number(process.env.PORT), '127.0.0.1')`

const RUNS = {
  'node-ws': {conns: 100_000, steps: 5, node: cluster(6, wsBody(false)), target: (p) => `ws://127.0.0.1:${p}/`, args: ['--no-echo']},
  'node-ws-deflate': {conns: 10_000, steps: 4, node: cluster(2, wsBody(true)), target: (p) => `ws://127.0.0.1:${p}/`, args: ['--ws-deflate', '--echo-each-step']},
  'node-https-sse': {conns: 20_000, steps: 4, node: cluster(2, sseBody), target: (p) => `https://127.0.0.1:${p}/events`, args: ['--http', 'sse', '--ca', path.join(tmp, 'ca.pem')]},
  // wss: the handshake rate and TLS's cost on each side at 100k; not a preset (run it by name).
  'node-wss': {conns: 100_000, steps: 5, node: cluster(6, wssBody), target: (p) => `wss://127.0.0.1:${p}/`, args: ['--ca', path.join(tmp, 'ca.pem'), '--open-timeout', '300s'], optional: true},
  mosquitto: {conns: 18_000, steps: 3, mosquitto: true, target: (p) => `mqtt://127.0.0.1:${p}`, args: []},
}

function makeCerts() {
  const f = (n) => path.join(tmp, n)
  const ssl = (...a) => execFileSync('openssl', a, {stdio: 'pipe'})
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=c1m bench CA')
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('key.pem'), '-out', f('csr.pem'), '-subj', '/CN=127.0.0.1')
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n')
  ssl('x509', '-req', '-in', f('csr.pem'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('cert.pem'), '-days', '2', '-extfile', f('san.ext'))
}

async function measure(name) {
  const run = RUNS[name]
  const port = await freePort()
  let child
  if (run.mosquitto) {
    const conf = path.join(tmp, 'mosquitto.conf')
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\npersistence false\nuser root\nlog_dest none\n`)
    child = spawn('mosquitto', ['-c', conf], {stdio: 'ignore'})
  } else {
    // A file, not -e: cluster.fork() runs the primary's script again in each worker.
    const script = path.join(tmp, `${name}.cjs`)
    writeFileSync(script, run.node)
    child = spawn(process.execPath, [script], {stdio: 'ignore', env: {...process.env, PORT: String(port), KEY: path.join(tmp, 'key.pem'), CERT: path.join(tmp, 'cert.pem')}, detached: true})
  }
  try {
    await waitForPort(port, 200)
    await new Promise((r) => setTimeout(r, 1000))
    const out = path.join(ROOT, 'reports', `probe-${name}.json`)
    const args = ['probe', '--target', run.target(port), '--server-pid', String(child.pid), '--conns', String(run.conns), '--steps', String(run.steps), '--settle', '1s', '--out', out, ...run.args]
    const started = performance.now()
    execFileSync(process.execPath, [path.join(ROOT, 'bin/run.js'), ...args], {stdio: ['ignore', 'inherit', 'inherit'], env: {...process.env, C1M_PROBE_DIR: 'off'}})
    console.log(`${name}: ${run.conns} connections in ${((performance.now() - started) / 1000).toFixed(1)} s -> ${path.relative(ROOT, out)}`)
  } finally {
    // The cluster's workers are in the primary's process group.
    try { process.kill(run.mosquitto ? child.pid : -child.pid, 'SIGTERM') } catch { /* already gone */ }
    await new Promise((r) => setTimeout(r, 500))
  }
}

makeCerts()
try {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(RUNS).filter((name) => !RUNS[name].optional)
  for (const name of names) {
    if (!RUNS[name]) throw new Error(`unknown run ${name}; one of ${Object.keys(RUNS).join(', ')}`)
    await measure(name)
  }
} finally {
  rmSync(tmp, {recursive: true, force: true})
}
