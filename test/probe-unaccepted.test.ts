import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa, type ResultPromise} from 'execa'

import {isUnaccepted, procNetAddress} from '../src/host/read/accept-queue.js'
import {assertHeld, endNotes, runJson} from './helpers.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'

// Real listeners in Python: one that listens with a deep backlog and never calls accept(), and
// one that accepts every connection and keeps it. The kernel completes the handshakes either way,
// so the clients see every connection open; only the server's side says which were taken.
const NEVER_ACCEPTS = 'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(65535)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)\n'
const DUAL_STACK_NEVER_ACCEPTS = 'import socket,time\ns=socket.socket(socket.AF_INET6)\ns.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)\ns.bind(("::",0))\ns.listen(65535)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)\n'
const ACCEPTS = 'import socket\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(65535)\nprint(s.getsockname()[1],flush=True)\nkept=[]\nwhile True:\n  c,_=s.accept()\n  kept.append(c)\n'

const servers: ResultPromise[] = []
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-unaccepted-'))
after(() => {
  for (const server of servers) server.kill('SIGKILL')
  rmSync(dir, {recursive: true, force: true})
})

async function listener(code: string): Promise<{pid: number; port: number}> {
  const server = execa('python3', ['-c', code], {reject: false, timeout: 120_000, stdin: 'ignore'})
  servers.push(server)
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())))
    server.once('exit', () => reject(new Error('the listener exited')))
  })
  return {pid: server.pid!, port}
}

describe('/proc/net/tcp lines of connections a server has not accepted', () => {
  it('are established with no inode, or half-open; an accepted one has its inode', () => {
    const local = procNetAddress('127.0.0.1', 8080)
    assert.equal(local, '0100007F:1F90')
    const line = (state: string, inode: string) => `  5: 0100007F:1F90 0100007F:D2F0 ${state} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 20 4 0 10 -1`
    assert.equal(isUnaccepted(line('01', '0'), local), true)
    assert.equal(isUnaccepted(line('03', '0'), local), true)
    assert.equal(isUnaccepted(line('01', '123456'), local), false)
    assert.equal(isUnaccepted(line('0A', '0'), local), false)
    assert.equal(isUnaccepted(line('01', '0'), procNetAddress('127.0.0.1', 8081)), false)
  })
})

describe('probe --no-echo against a server that never calls accept()', () => {
  it('counts those connections as not held: exit 10, the count in the report, nothing kept', async () => {
    const {pid, port} = await listener(NEVER_ACCEPTS)
    const kept = path.join(dir, 'kept')
    mkdirSync(kept, {mode: 0o700})
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--target', `127.0.0.1:${port}`, '--server-pid', String(pid), '--conns', '2000', '--steps', '2', '--settle', '100ms', '--no-echo'], {timeout: 120_000, env: {C1M_PROBE_DIR: kept}})
    assert.equal(exitCode, 10, stderr)
    assert.equal(envelope.result.unaccepted?.connections, 2000)
    assert.match(endNotes(envelope), /^2000 connections were never accepted by the server/m)
    assert.deepEqual(readdirSync(kept), [])
  })

  it('the same behind a dual-stack listener, whose connections show in /proc/net/tcp6', async () => {
    const {pid, port} = await listener(DUAL_STACK_NEVER_ACCEPTS)
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--target', `127.0.0.1:${port}`, '--server-pid', String(pid), '--conns', '1000', '--steps', '2', '--settle', '100ms', '--no-echo'], {timeout: 120_000})
    assert.equal(exitCode, 10, stderr)
    assert.equal(envelope.result.unaccepted?.connections, 1000)
  })

  it('a server that accepts them all is held in full (exit 0, none unaccepted)', async () => {
    const {pid, port} = await listener(ACCEPTS)
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--target', `127.0.0.1:${port}`, '--server-pid', String(pid), '--conns', '2000', '--steps', '2', '--settle', '100ms', '--no-echo'], {timeout: 120_000})
    assert.equal(envelope.result.unaccepted, undefined, stderr)
    assert.doesNotMatch(endNotes(envelope), /never accepted/)
    // (a busy host may still spoil the kernel fit, which is exit 13 for another reason)
    assertHeld(exitCode, endNotes(envelope))
  })
})
