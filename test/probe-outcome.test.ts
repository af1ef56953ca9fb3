import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {describeEcho, probeOutcome} from '../src/core/probe/outcome.js'
import {describeInterrupt} from '../src/core/probe/phases.js'
import {describeRefusal, quoteBytes} from '../src/core/probe/refusal.js'
import {formatSignedMiB} from '../src/probe/ramp.js'

describe('how a probe run ends', () => {
  it('a clean run is exit 0 with nothing to say', () => {
    assert.deepEqual(probeOutcome({samples: [1, 2, 3], echo: {sent: 10, echoed: 10}}), {code: undefined, notes: []})
  })
  it('interrupted is 130; stopped early, a drop in the hold or a wrong echo is 10', () => {
    assert.equal(probeOutcome({samples: [], stopped: 'interrupted'}).code, 'E_INTERRUPTED')
    assert.equal(probeOutcome({samples: [1, 2], stopped: 'the server refused 3 connections'}).code, 'E_PROBE_FAILED')
    assert.equal(probeOutcome({samples: [1, 2, 3], hold: {dropped: 1, conns: 10}}).code, 'E_PROBE_FAILED')
    const wrong = probeOutcome({samples: [1, 2, 3], echo: {sent: 10, echoed: 4, mismatched: 5, closed: 0, firstBytes: 'HTTP/1.1 400 Bad Request\r\n'}})
    assert.equal(wrong.code, 'E_PROBE_FAILED')
    assert.deepEqual(wrong.notes, ['6 of 10 connections did not echo (5 answered with other bytes, first "HTTP/1.1 400 Bad Request\\x0d\\x0a"; 1 did not answer in time)'])
  })
  it('an echo from an older report (no mismatch count) is a time-out', () => {
    assert.equal(describeEcho({sent: 5, echoed: 3}), '2 of 5 connections did not echo (2 did not answer in time)')
  })
})

describe('what a Ctrl-C says, by the phase it came in', () => {
  it('the ramp finishes its step, the hold ends early, and the close (or teardown) goes on to the report', () => {
    for (const phase of ['startSeconds', 'rampSeconds', 'settleSeconds', 'sampleSeconds', undefined] as const) assert.equal(describeInterrupt('SIGINT', phase), 'SIGINT: finishing this step, then closing every connection')
    assert.match(describeInterrupt('SIGINT', 'holdSeconds'), /^SIGINT: ending the hold early; .* \(exit 130\)$/)
    for (const phase of ['closeSeconds', 'teardownSeconds'] as const) {
      const line = describeInterrupt('SIGTERM', phase)
      assert.match(line, /^SIGTERM: the measurement is done and every connection is already closing/)
      assert.doesNotMatch(line, /step|exit 130/)
    }
  })
})

describe('refusals', () => {
  it('quotes at most 64 characters, control bytes escaped', () => {
    assert.equal(quoteBytes('-DENIED\r\n'), '"-DENIED\\x0d\\x0a"')
    assert.equal(quoteBytes('x'.repeat(100)).length, 66)
  })
  it('says whether the server closed or talked', () => {
    assert.match(describeRefusal({connections: 1, firstBytes: '', attempts: 1}), /refused 1 connection: it closed them right after accepting/)
    assert.match(describeRefusal({connections: 64, firstBytes: '-DENIED', attempts: 65}), /refused 64 connections: it answered "-DENIED" unasked \(after 65 attempts\)/)
  })
})

describe('slab change in the progress line', () => {
  it('has one sign, never "+-"', () => {
    assert.equal(formatSignedMiB(-34 * 1024 ** 2), '-34 MiB')
    assert.equal(formatSignedMiB(12 * 1024 ** 2), '+12 MiB')
  })
})
