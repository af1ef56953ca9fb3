// --app nats (issue 23) against Debian's nats-server, run from a temp config on 127.0.0.1 with its
// monitoring port, on raw TCP and on its WebSocket listener, with both engines. The server's own
// /connz must show N clients during the hold; it pings every second (ping_interval 1s, ping_max 2)
// so a connection whose PINGs went unanswered would be closed as stale; messages published to
// --subject during the hold are counted as pushed; the server tree's RSS read from /proc during the
// hold, minus before, over N, agrees with c1m's figure within 10%. A wrong password is refused in
// NATS's own words.
import assert from 'node:assert/strict'
import net from 'node:net'
import {describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import type {ClientRunResult} from '../src/probe/run-client.js'
import {assertHeld, endNotes, runJson} from './helpers.js'
import {probeWithHoldHook, treeRssBytes} from './independent-rss.js'
import {findProgram, type Nats, scratch, startNats, stopPids} from './server-helpers.js'

const skip = findProgram('nats-server') || process.env.CI ? false : 'nats-server is not installed (.ci/run installs it)'
const servers = scratch('c1m-nats-')
/** The server pings every second and closes a connection after two PINGs unanswered. */
const PINGS = 'ping_interval: "1s"\nping_max: 2\n'

/** The server's own count of client connections (its monitoring endpoint). */
async function connz(nats: Nats): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${nats.monitor}/connz?limit=1`)
  return ((await response.json()) as {total: number}).total
}

/** Publish `count` messages to subject from a connection of the test's own; wait for the server's PONG. */
async function publish(nats: Nats, subject: string, count: number): Promise<void> {
  const socket = net.connect(nats.port, '127.0.0.1')
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no PONG from nats-server within 10 s')), 10_000)
    let text = ''
    socket.on('data', (chunk) => {
      text += chunk.toString()
      if (text.startsWith('INFO') && !text.includes('sent')) {
        text += 'sent'
        socket.write(`CONNECT {"verbose":false}\r\n${`PUB ${subject} 5\r\nhello\r\n`.repeat(count)}PING\r\n`)
      }
      if (text.includes('PONG')) {
        clearTimeout(timer)
        resolve()
      }
    })
    socket.on('error', reject)
  })
  socket.destroy()
}

for (const engine of ['native', 'node']) {
  describe(`--app nats, ${engine} engine, against nats-server`, {skip}, () => {
    for (const scheme of ['tcp', 'ws']) {
      it(`over ${scheme}: /connz shows N clients, PINGs answered, MSGs counted, c1m's figure within 10% of /proc`, async (t) => {
        const nats = await startNats(servers, PINGS)
        const {pid} = nats
        const conns = 2000
        const target = scheme === 'tcp' ? `tcp://127.0.0.1:${nats.port}` : `ws://127.0.0.1:${nats.ws}/`
        const before = treeRssBytes(pid)
        let during = 0
        let clients = 0
        const run = await probeWithHoldHook<ProbeRunReport>(['--target', target, '--server-pid', String(pid), '--conns', String(conns), '--steps', '3', '--settle', '300ms', '--hold', '6s', '--engine', engine, '--app', 'nats', '--subject', 'c1m.test'], async () => {
          during = treeRssBytes(pid)
          clients = await connz(nats)
          await publish(nats, 'c1m.test', 3)
        })
        assertHeld(run.exitCode, run.stderr + endNotes(run.envelope))
        const report = run.envelope.result
        assert.equal(clients, conns, "nats-server's own count of clients during the hold")
        assert.equal(report.session?.accepted, conns)
        assert.equal(report.session?.refused, 0)
        assert.equal(report.hold?.dropped, 0, 'no connection was closed as stale')
        // One PING a second from the server, over the ramp and a 6 s hold.
        assert.ok(report.session!.heartbeatsAnswered >= conns * 5, `${report.session?.heartbeatsAnswered} PINGs answered`)
        assert.equal(report.hold?.messagesReceived?.events, conns * 3, 'each connection got the 3 messages published')
        const independent = (during - before) / conns
        const ratio = report.fit.server.bytesPerConn / independent
        t.diagnostic(`nats ${scheme} ${engine}: c1m ${Math.round(report.fit.server.bytesPerConn)} B, /proc ${Math.round(independent)} B per connection (ratio ${ratio.toFixed(3)})`)
        assert.ok(ratio > 0.9 && ratio < 1.1, `c1m ${Math.round(report.fit.server.bytesPerConn)} B, /proc ${Math.round(independent)} B per connection (ratio ${ratio.toFixed(3)})`)
        await stopPids([pid])
      })
    }

    it("a wrong password is refused in NATS's words (exit 10); the right one connects", async () => {
      const nats = await startNats(servers, `${PINGS}authorization { user: c1m, password: right }\n`)
      const wrong = await runJson<ClientRunResult>(['client', '--target', `tcp://127.0.0.1:${nats.port}`, '--conns', '20', '--steps', '1', '--engine', engine, '--app', 'nats', '--auth', '{"user":"c1m","pass":"wrong"}'], {timeout: 60_000})
      assert.equal(wrong.exitCode, 10)
      assert.match(wrong.envelope.error?.message ?? '', /nats: -ERR 'Authorization Violation'/)
      const right = await runJson<ClientRunResult>(['client', '--target', `tcp://127.0.0.1:${nats.port}`, '--conns', '20', '--steps', '1', '--engine', engine, '--app', 'nats', '--auth', '{"user":"c1m","pass":"right"}'], {timeout: 60_000})
      assert.equal(right.exitCode, 0, right.stderr)
      assert.equal(right.envelope.result.session?.accepted, 20)
      await stopPids([nats.pid])
    })
  })
}
