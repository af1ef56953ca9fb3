// doctor --pid against real servers from Debian (.ci/run installs them): nginx, whose workers
// lower their own nofile (worker_rlimit_nofile), and Redis with tcp-backlog 511. Each runs from a
// temporary directory on 127.0.0.1, bounded in time, and is stopped by PID.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import type net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {DoctorReport} from '../src/core/doctor/run-doctor.js'
import {runJson} from './helpers.js'
import {childPids, findProgram, freePort, holdConnections, softNofile, stopPids, waitForPort} from './server-helpers.js'
import {eventually} from './spawn-c1m.js'

const fmt = (n: number) => n.toLocaleString('en-US')
const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim())
const nginx = findProgram('nginx')
const redis = findProgram('redis-server')

describe('doctor --pid on nginx (master and workers)', {skip: nginx ? false : 'nginx is not installed (.ci/run installs nginx-light)'}, () => {
  const prefix = mkdtempSync(path.join(os.tmpdir(), 'c1m-nginx-'))
  const workerLimit = Math.min(8192, Math.floor(softNofile(process.pid) / 2))
  let master: ChildProcess
  let workers: number[] = []
  let held: net.Socket[] = []
  before(async () => {
    const port = await freePort()
    mkdirSync(path.join(prefix, 'tmp'))
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${prefix}/tmp/${t};`).join(' ')
    writeFileSync(path.join(prefix, 'nginx.conf'), `daemon off;
master_process on;
user root;
worker_processes 2;
worker_rlimit_nofile ${workerLimit};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 1024; }
http { access_log off; ${temp} server { listen 127.0.0.1:${port} backlog=511; keepalive_timeout 120s; location / { return 204; } } }
`)
    master = spawn(nginx!, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')], {stdio: 'ignore'})
    await waitForPort(port)
    // Connections land in the workers, which hold them open (keepalive_timeout 120 s).
    held = await holdConnections(port, 4)
    await eventually(() => childPids(master.pid!).length >= 2, {timeoutMs: 5000}).catch(() => undefined)
    workers = childPids(master.pid!)
  })
  after(async () => {
    for (const s of held) s.destroy()
    await stopPids([master.pid!, ...workers])
    rmSync(prefix, {recursive: true, force: true})
  })

  it('reports the workers\' nofile, not the master\'s, and names every process', async () => {
    const {envelope, exitCode} = await runJson<DoctorReport>(['doctor', '--pid', String(master.pid), '--fail-on', 'none'])
    assert.equal(exitCode, 0)
    const {host, results} = envelope.result
    assert.equal(host.pid, master.pid)
    const pids = host.processes!.map((p) => p.pid).sort()
    assert.deepEqual(pids, [master.pid!, ...workers].sort(), 'the master and both workers hold the listening socket')
    for (const p of host.processes!) assert.equal(p.comm, 'nginx')
    assert.equal(host.processes!.find((p) => p.pid === master.pid)!.nofileSoft, softNofile(master.pid!))
    for (const w of workers) assert.equal(host.processes!.find((p) => p.pid === w)!.nofileSoft, workerLimit)
    assert.ok(workers.includes(host.auditedPid!))
    const connections = host.processes!.reduce((n, p) => n + p.connections, 0)
    assert.equal(connections, 4, 'the four held connections, all in workers')
    const soft = results.find((r) => r.id === 'fd.nofile-soft')!
    assert.match(soft.current!, new RegExp(`^${fmt(workerLimit)} \\(PID ${host.auditedPid} nginx, lowest of 3 processes holding TCP sockets`))
    const audited = host.processes!.find((p) => p.pid === host.auditedPid)!
    assert.equal(soft.breaksAt, audited.connections + workerLimit - audited.openFds)
    assert.match(results.find((r) => r.id === 'fd.nofile-hard')!.reason!, /worker_rlimit_nofile/)
  })
})

describe('doctor --pid on Redis with tcp-backlog 511', {skip: redis ? false : 'redis-server is not installed (.ci/run installs it)'}, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-redis-'))
  let server: ChildProcess
  let port = 0
  before(async () => {
    port = await freePort()
    server = spawn(redis!, ['--port', String(port), '--bind', '127.0.0.1', '--tcp-backlog', '511', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir, '--logfile', path.join(dir, 'redis.log')], {stdio: 'ignore'})
    await waitForPort(port)
  })
  after(async () => {
    await stopPids([server.pid!])
    rmSync(dir, {recursive: true, force: true})
  })

  it('with somaxconn already high enough, the fix is the application backlog, not somaxconn', {skip: somaxconn < 4096 ? 'somaxconn is below 4096 here' : false}, async () => {
    const {envelope} = await runJson<DoctorReport>(['doctor', '--pid', String(server.pid), '--conns', '10000'])
    const r = envelope.result.results.find((x) => x.id === 'accept.listen-backlog')!
    assert.equal(r.status, 'warn')
    assert.equal(r.current, `127.0.0.1:${port} 511`)
    assert.match(r.reason!, new RegExp(`somaxconn is already ${fmt(somaxconn)}: the server asked listen\\(\\) for less on 127\\.0\\.0\\.1:${port} \\(backlog 511\\)`))
    assert.match(r.fix!, /Redis: tcp-backlog 4096/)
    assert.match(r.fix!, new RegExp(`then restart process ${server.pid} \\(redis-server\\)$`))
    assert.doesNotMatch(r.fix!, /sysctl -w/)
  })
})
