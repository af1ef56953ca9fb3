import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {checkMeasured, type RampMeasurement} from '../src/core/probe/assemble-report.js'
import {C1mError} from '../src/core/errors.js'
import type {Protocol} from '../src/core/probe/protocol.js'

const refused: RampMeasurement = {samples: [], steps: [], stopped: 'the server refused 3 connections', refused: {connections: 3, firstBytes: 'x', attempts: 3}}

function suggestion(run: () => void): {code: string; suggestion?: string} {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof C1mError)
    return {code: error.code, suggestion: error.suggestion}
  }
  assert.fail('no error was thrown')
}

// The hints as buildRunReport's nested ternary wrote them before they moved into the protocol table.
const hints: [Protocol | undefined, string][] = [
  [undefined, "check the server's access rules for 127.x sources (Redis: protected-mode and bind; nginx: allow/deny) and that it expects a silent TCP client"],
  [{kind: 'tcp'}, "check the server's access rules for 127.x sources (Redis: protected-mode and bind; nginx: allow/deny) and that it expects a silent TCP client"],
  [{kind: 'ws', path: '/', host: 'h'}, 'check that the server upgrades WebSocket requests at that path (its answer is quoted) and accepts 127.x clients'],
  [{kind: 'long-poll', path: '/', host: 'h'}, 'check that the server holds GET requests at that path and answers them 200 or 204 (its answer is quoted)'],
  [{kind: 'sse', path: '/', host: 'h'}, 'check that the server streams at that path: 200 with Content-Type text/event-stream (its answer is quoted)'],
  [{kind: 'stream', path: '/', host: 'h'}, 'check that the server streams at that path: 200 (its answer is quoted)'],
  [{kind: 'mqtt'}, 'check the broker lets this client connect (allow_anonymous, a listener on that address; its CONNACK is quoted)'],
]

describe('a probe run that measured nothing says why, in one line per protocol', () => {
  for (const [protocol, hint] of hints) {
    it(`refused over ${protocol?.kind ?? 'no protocol given'}`, () => {
      assert.deepEqual(suggestion(() => checkMeasured(refused, false, protocol)), {code: 'E_PROBE_FAILED', suggestion: hint})
    })
  }
  it('a TLS handshake failure names --ca before any protocol hint', () => {
    const tls = {...refused, stopped: 'tls handshake: certificate verify failed'}
    assert.match(suggestion(() => checkMeasured(tls, false, {kind: 'ws', path: '/', host: 'h'})).suggestion!, /^give --ca FILE/)
  })
  it('nothing listening at a target, an interruption, and the default', () => {
    const target = {host: '127.0.0.1', port: 9, serverPid: 1, serverPids: [1]}
    const down = {samples: [], steps: [], stopped: 'connect: Connection refused'}
    assert.equal(suggestion(() => checkMeasured(down, false, undefined, target)).suggestion, 'nothing listens at 127.0.0.1:9: start your server there, or correct --target')
    assert.equal(suggestion(() => checkMeasured(down, true)).code, 'E_INTERRUPTED')
    assert.equal(suggestion(() => checkMeasured(down, false)).suggestion, 'run c1m doctor --role loopback to see which limit stops connections')
  })
  it('two samples are a measurement', () => {
    const two = {samples: [{}, {}], steps: []} as unknown as RampMeasurement
    assert.doesNotThrow(() => checkMeasured(two, true))
  })
})
