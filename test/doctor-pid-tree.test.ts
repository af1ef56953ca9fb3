// Issue 9: doctor --pid sees the whole server. Real process trees, started here and stopped by PID.
import assert from 'node:assert/strict'
import type {ChildProcess} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'

import type {DoctorReport} from '../src/core/doctor/run-doctor.js'
import {run, runJson} from './helpers.js'
import {openFds, softNofile, startWithFirstLine, stopPids} from './server-helpers.js'

const fmt = (n: number) => n.toLocaleString('en-US')
const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim())

/**
 * The child: listens with backlog 511, holds 3 connections to itself, prints its port; exits when
 * its parent is gone.
 */
const CHILD = `
const net = require('net'); const parent = process.ppid; const held = []
const s = net.createServer((c) => held.push(c))
s.listen({host: '127.0.0.1', port: 0, backlog: 511}, () => {
  const port = s.address().port; let n = 0
  for (let i = 0; i < 3; i++) held.push(net.connect(port, '127.0.0.1', () => { if (++n === 3) setTimeout(() => console.log(port), 100) }))
})
setInterval(() => { if (process.ppid !== parent) process.exit(0) }, 200)
setTimeout(() => process.exit(0), 120000)`

/**
 * The parent: listens itself (a higher nofile limit), starts the child under prlimit, prints
 * "childPid childPort".
 */
const PARENT = (limit: number) => `
const net = require('net'); const {spawn} = require('child_process')
net.createServer().listen({host: '127.0.0.1', port: 0})
const child = spawn('prlimit', ['--nofile=${limit}:${limit}', process.execPath, '-e', ${JSON.stringify(CHILD)}], {stdio: ['ignore', 'pipe', 'inherit']})
child.stdout.once('data', (d) => console.log(child.pid + ' ' + String(d).trim()))
setTimeout(() => process.exit(0), 120000)`

describe('doctor --pid on a parent whose child holds the connections with a lower nofile', () => {
  const parentLimit = softNofile(process.pid)
  const childLimit = Math.min(4096, Math.floor(parentLimit / 2))
  let parent: ChildProcess
  let childPid = 0
  let childPort = 0
  before(async () => {
    const started = await startWithFirstLine(process.execPath, ['-e', PARENT(childLimit)])
    parent = started.child
    ;[childPid, childPort] = started.line.split(' ').map(Number)
  })
  after(() => stopPids([childPid, parent.pid!].filter(Boolean)))

  it('audits the child with the lowest soft limit, names every process, and counts its open descriptors', async () => {
    const {envelope, exitCode} = await runJson<DoctorReport>(['doctor', '--pid', String(parent.pid), '--fail-on', 'none'])
    assert.equal(exitCode, 0)
    const {host, results} = envelope.result
    assert.equal(host.pid, parent.pid)
    assert.equal(host.auditedPid, childPid)
    assert.deepEqual(host.processes!.map((p) => p.pid).sort(), [parent.pid!, childPid].sort())
    const child = host.processes!.find((p) => p.pid === childPid)!
    assert.deepEqual([child.comm, child.nofileSoft, child.listening, child.connections], ['node', childLimit, 1, 6])
    assert.equal(child.openFds, openFds(childPid))
    assert.equal(host.processes!.find((p) => p.pid === parent.pid)!.nofileSoft, parentLimit)
    const soft = results.find((r) => r.id === 'fd.nofile-soft')!
    assert.equal(soft.current, `${fmt(childLimit)} (PID ${childPid} node, lowest of 2 processes holding TCP sockets; ${fmt(child.openFds)} fds open, 6 connections)`)
    // breaksAt = connections now + descriptors left
    assert.equal(soft.breaksAt, 6 + childLimit - child.openFds)
  })
  it('names each process in the table header', async () => {
    const {stdout} = await run(['doctor', '--pid', String(parent.pid)])
    assert.match(stdout, new RegExp(`--pid ${parent.pid}: processes holding TCP sockets`))
    assert.match(stdout, new RegExp(`PID ${childPid} node: nofile ${fmt(childLimit)} soft / ${fmt(childLimit)} hard, \\d+ fds open, 1 listening, 6 connections <- lowest soft limit, audited`))
    assert.match(stdout, new RegExp(`PID ${parent.pid} node: nofile ${fmt(parentLimit)} soft`))
  })
  it('when somaxconn is high enough, says to raise the application backlog, not somaxconn', async () => {
    // 10,000 connections need an accept queue of 4,096 (needs.ts)
    const {envelope} = await runJson<DoctorReport>(['doctor', '--pid', String(parent.pid), '--conns', '10000'])
    const r = envelope.result.results.find((x) => x.id === 'accept.listen-backlog')!
    assert.equal(r.status, 'warn')
    assert.match(r.current!, new RegExp(`127\\.0\\.0\\.1:${childPort} ${Math.min(511, somaxconn)}`))
    if (somaxconn >= 4096) {
      assert.match(r.fix!, /^raise the listen backlog in the server's config to 4096 \(Redis: tcp-backlog 4096; nginx: listen \.\.\. backlog=4096/)
      // The parent listens too, so the child's listener may come first or second in the list.
      assert.match(r.reason!, new RegExp(`somaxconn is already ${fmt(somaxconn)}: the server asked listen\\(\\) for less on .*127\\.0\\.0\\.1:${childPort} \\(backlog 511\\)`))
      assert.doesNotMatch(r.fix!, /sysctl/)
    } else assert.match(r.fix!, /^sysctl -w net\.core\.somaxconn=4096/)
  })
})
