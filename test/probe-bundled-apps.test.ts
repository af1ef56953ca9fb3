// c1m probe --app socketio|phoenix with no --target: the bundled server speaks the dialect, so the
// probe's own clients hold real sessions on it and the report counts them as joined.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {assertHeld, endNotes, runJson} from './helpers.js'

const CONNS = 1000

interface Report {
  protocol: string
  session?: {app: string; accepted: number; refused: number; heartbeatsAnswered: number; heartbeatsSent: number}
  hold?: {dropped: number; serverOpen: number}
}

describe('probe --app on the bundled server', () => {
  it(`socketio: ${CONNS} sessions join namespace / and are held`, async () => {
    const {envelope, exitCode} = await runJson<Report>(['probe', '--app', 'socketio', '--conns', String(CONNS), '--steps', '2', '--hold', '2s'], {timeout: 180_000})
    assertHeld(exitCode, endNotes(envelope))
    const {session, hold} = envelope.result
    assert.deepEqual([session?.app, session?.accepted, session?.refused], ['socketio', CONNS, 0])
    assert.deepEqual([hold?.dropped, hold?.serverOpen], [0, CONNS])
  })

  it(`phoenix: ${CONNS} sockets join room:lobby and their heartbeats are answered through the hold`, async () => {
    const args = ['probe', '--app', 'phoenix', '--heartbeat-every', '500ms', '--conns', String(CONNS), '--steps', '2', '--hold', '3s']
    const {envelope, exitCode} = await runJson<Report>(args, {timeout: 180_000})
    assertHeld(exitCode, endNotes(envelope))
    const {session, hold} = envelope.result
    assert.deepEqual([session?.app, session?.accepted, session?.refused], ['phoenix', CONNS, 0])
    assert.ok((session?.heartbeatsAnswered ?? 0) >= 3 * CONNS, `heartbeats answered: ${session?.heartbeatsAnswered}`)
    assert.deepEqual([hold?.dropped, hold?.serverOpen], [0, CONNS])
  })

  it('a dialect the bundled server does not speak is one clear line, exit 2', async () => {
    const {envelope, exitCode} = await runJson(['probe', '--conns', '10', '--app', 'nats'])
    assert.equal(exitCode, 2)
    assert.match(envelope.error?.message ?? '', /the bundled server speaks --app socketio and phoenix/)
  })
})
