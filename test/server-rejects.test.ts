// c1m server out of descriptors: each connection it could not hold is refused once and counted once.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {readFileSync, readdirSync} from 'node:fs'
import net from 'node:net'
import {describe, it} from 'node:test'

import {BIN} from './helpers.js'
import {eventually, spawnWaiting, stopChild} from './spawn-c1m.js'

/**
 * Open `count` connections to port and count those the server closes: until the server's count line
 * (on `said`, every 200 ms) has every connection accepted or rejected and this side has seen as many
 * closes as it rejected, or 20 s have passed (then the caller's assertions say what was missing).
 */
async function openAndCountClosed(port: number, count: number, said: {stderr: string}): Promise<{closed: number; sockets: net.Socket[]}> {
  const sockets: net.Socket[] = []
  let closed = 0
  for (let i = 0; i < count; i++) {
    const s = net.connect(port, '127.0.0.1')
    s.on('error', () => {})
    s.on('close', () => closed++)
    sockets.push(s)
  }
  const settled = () => {
    const last = [...said.stderr.matchAll(/accepted (\d+), rejected (\d+)/g)].at(-1)
    return last !== undefined && Number(last[1]) + Number(last[2]) >= count && closed >= Number(last[2])
  }
  await eventually(settled, {timeoutMs: 20_000}).catch(() => undefined)
  return {closed, sockets}
}

/** The pids of pid's children, from /proc (every thread's list). */
function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number))
}

describe('c1m server counts each refused connection once', () => {
  it('with 64 descriptors, 150 connections: rejected equals the connections it closed', async () => {
    // Once it listens, prlimit gives the server and the native worker it started 64 descriptors. Set at
    // start, the limit bit Node's own module loading (EMFILE reading node_modules) before it listened.
    const server = await spawnWaiting(process.execPath, [BIN, 'server', '--port', '0', '--interval', '200ms', '--json'], {env: {NO_COLOR: '1'}, waitFor: /listening on 127\.0\.0\.1:(\d+)/, timeoutMs: 20_000})
    try {
      const pid = server.child.pid!
      const workers = childrenOf(pid)
      assert.ok(workers.length > 0, 'the server started no worker')
      for (const p of [pid, ...workers]) execFileSync('prlimit', [`--pid=${p}`, '--nofile=64:64'])
      const {closed, sockets} = await openAndCountClosed(Number(server.match[1]), 150, server.output)
      const code = await stopChild(server, 'SIGINT')
      for (const s of sockets) s.destroy()
      const result = JSON.parse(server.output.stdout).result as {accepted: number; rejected: number}
      assert.equal(code, 0)
      assert.ok(closed > 0, 'the server held every connection: the limit did not bite')
      assert.equal(result.rejected, closed)
      assert.equal(result.accepted + result.rejected, 150)
    } finally {
      server.child.kill('SIGKILL')
    }
  })
})
