// --app phoenix on both engines against the bundled server speaking Phoenix channels V2 (`c1m server
// --app phoenix`, a process of its own started here): the server's own counts (joins, sockets open,
// sockets closed for a missed heartbeat) against c1m's. With --idle-timeout 3s the server closes a
// socket silent for 3 s, as Phoenix does after 60 s, so a held session proves the heartbeats went.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {after, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {assertHeld, BIN, endNotes, runJson} from './helpers.js'
import {probeWithHoldHook} from './independent-rss.js'
import {stopPids} from './server-helpers.js'

const servers: ChildProcess[] = []
after(async () => {
  await stopPids(servers.map((s) => s.pid!))
})

interface ServerCounts {open: number; sessions: number; timedOut: number}

/** `c1m server --app phoenix` (ws or wss) on a free port, saying its counts each second. */
async function phoenixServer(protocol = 'ws'): Promise<{port: number; pid: number; counts(): ServerCounts}> {
  const child = spawn(process.execPath, [BIN, 'server', '--app', 'phoenix', '--protocol', protocol, '--port', '0', '--idle-timeout', '3s', '--interval', '1s', '--duration', '3m'], {stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
  servers.push(child)
  let text = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`c1m server did not listen within 60 s: ${text}`)), 60_000)
    const look = setInterval(() => {
      const found = /listening on 127\.0\.0\.1:(\d+)/.exec(text)
      if (found) {
        clearTimeout(timer)
        clearInterval(look)
        resolve(Number(found[1]))
      }
    }, 50)
    child.on('exit', (code) => reject(new Error(`c1m server exited with ${code}: ${text}`)))
  })
  const counts = () => {
    const lines = [...text.matchAll(/^open (\d+), accepted \d+, rejected \d+, sessions (\d+), timed out (\d+)$/gm)]
    const last = lines.at(-1)
    if (!last) throw new Error(`c1m server printed no counts: ${text}`)
    return {open: Number(last[1]), sessions: Number(last[2]), timedOut: Number(last[3])}
  }
  return {port, pid: child.pid!, counts}
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

for (const engine of ['native', 'node']) {
  describe(`c1m probe --engine ${engine} --app phoenix against the bundled Phoenix server`, () => {
    it('joins room:lobby on the default path, keeps every socket with 1 s heartbeats, and the server counts what c1m counts', {timeout: 120_000}, async () => {
      const server = await phoenixServer()
      const conns = 300
      await wait(1200)
      const before = server.counts()
      let during: ServerCounts | undefined
      const {envelope, exitCode, stderr} = await probeWithHoldHook<ProbeRunReport>(['--engine', engine, '--target', `ws://127.0.0.1:${server.port}/`, '--app', 'phoenix', '--heartbeat-every', '1s', '--server-pid', String(server.pid), '--conns', String(conns), '--steps', '2', '--settle', '200ms', '--hold', '6s'], async () => {
        await wait(3500) // past the server's 3 s idle limit, and a count line after it
        during = server.counts()
      })
      assertHeld(exitCode, stderr + endNotes(envelope))
      const {session, hold} = envelope.result
      assert.deepEqual([session!.app, session!.accepted, session!.refused], ['phoenix', conns, 0])
      assert.deepEqual({open: during!.open, joined: during!.sessions - before.sessions, closedIdle: during!.timedOut - before.timedOut}, {open: conns, joined: conns, closedIdle: 0}, "the server's own counts during the hold")
      assert.equal(hold!.dropped, 0)
      assert.ok(session!.heartbeatsSent >= conns * 5, `${session!.heartbeatsSent} heartbeats sent`)
      assert.ok(session!.heartbeatsAnswered >= session!.heartbeatsSent - conns, `${session!.heartbeatsAnswered} of ${session!.heartbeatsSent} answered`)
    })

    it("without --heartbeat-every it sends Phoenix's 30 s heartbeat, so a server that wants one in 3 s closes every socket", {timeout: 120_000}, async () => {
      const server = await phoenixServer()
      const conns = 100
      const {envelope} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${server.port}/`, '--app', 'phoenix', '--server-pid', String(server.pid), '--conns', String(conns), '--steps', '2', '--settle', '200ms', '--hold', '5s'], {timeout: 90_000})
      assert.equal(envelope.result.hold!.dropped, conns)
      assert.equal(envelope.result.session!.heartbeatsSent, 0)
    })

    it('over wss:// (the bundled server with its self-signed certificate, --insecure): every socket joins and its heartbeats are answered', {timeout: 120_000}, async () => {
      const server = await phoenixServer('wss')
      const conns = 200
      let open = -1
      const {envelope, exitCode, stderr} = await probeWithHoldHook<ProbeRunReport>(['--engine', engine, '--target', `wss://127.0.0.1:${server.port}/`, '--insecure', '--app', 'phoenix', '--heartbeat-every', '1s', '--server-pid', String(server.pid), '--conns', String(conns), '--steps', '2', '--settle', '200ms', '--hold', '5s'], async () => {
        await wait(1500) // a count line from within the hold
        open = server.counts().open
      })
      assertHeld(exitCode, stderr + endNotes(envelope))
      const {session, hold} = envelope.result
      assert.deepEqual([session!.accepted, hold!.dropped, open], [conns, 0, conns])
      assert.ok(session!.heartbeatsAnswered >= conns * 3, `${session!.heartbeatsAnswered} heartbeats answered`)
    })

    it('a topic the server routes no channel for: the join refused in Phoenix\'s terms, exit 10', {timeout: 90_000}, async () => {
      const server = await phoenixServer()
      const {envelope, exitCode} = await runJson<ProbeRunReport>(['probe', '--engine', engine, '--target', `ws://127.0.0.1:${server.port}/`, '--app', 'phoenix', '--topic', 'lobby', '--server-pid', String(server.pid), '--conns', '50', '--steps', '2'])
      assert.equal(exitCode, 10)
      assert.match(envelope.error!.message, /phoenix: join refused: \{.reason.:.unmatched topic.\}/)
    })
  })
}
