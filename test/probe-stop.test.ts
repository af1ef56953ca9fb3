import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {canGoOn, describeStop, type Stop} from '../src/core/probe/stop.js'

describe('a ramp stop, as data and as the report words it', () => {
  const echo = {sent: 10, echoed: 7, mismatched: 1, closed: 2, firstBytes: 'HTTP/1.1 400'}
  const cases: Array<[Stop, string, boolean]> = [
    [{kind: 'interrupted'}, 'interrupted', false],
    [{kind: 'failed', why: 'load client 2 exited (SIGKILL)'}, 'load client 2 exited (SIGKILL)', false],
    [{kind: 'short', step: 3, opened: 2900, wanted: 3000, error: 'connect: Cannot assign requested address'}, 'step 3 opened 2900 of 3000 connections (connect: Cannot assign requested address)', true],
    [{kind: 'short', step: 1, opened: 5, wanted: 10, error: ''}, 'step 1 opened 5 of 10 connections', true],
    [{kind: 'echo', step: 2, echo}, 'step 2: 3 of 10 connections did not echo (1 answered with other bytes, first "HTTP/1.1 400"; 2 were closed by the server)', false],
    [{kind: 'refused', refusal: {connections: 4, firstBytes: '-DENIED', attempts: 12}}, describeStop({kind: 'refused', refusal: {connections: 4, firstBytes: '-DENIED', attempts: 12}, protocol: 'tcp'}), false],
  ]
  for (const [stop, words, goesOn] of cases) {
    it(`${stop.kind}: "${words.slice(0, 60)}"${goesOn ? ', and the run goes on to the echo check' : ', and nothing more runs'}`, () => {
      assert.equal(describeStop(stop), words)
      assert.equal(canGoOn(stop), goesOn)
    })
  }

  it('a refusal is worded by its protocol', () => {
    const refusal = {connections: 4, firstBytes: 'HTTP/1.1 404 Not Found', attempts: 12}
    assert.notEqual(describeStop({kind: 'refused', refusal, protocol: 'ws'}), describeStop({kind: 'refused', refusal}))
    assert.match(describeStop({kind: 'refused', refusal}), /4/)
  })

  it('no stop: the run went to the end', () => {
    assert.equal(canGoOn(undefined), true)
  })
})
