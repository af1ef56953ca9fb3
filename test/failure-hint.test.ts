import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {describeFailure} from '../src/core/probe/failure-hint.js'
import {closeCodeMeaning, decodeClose} from '../src/core/probe/ws-close.js'

const bytes = (...codes: number[]) => String.fromCharCode(...codes)
const UNAUTHORIZED = [...'unauthorized'].map((c) => c.charCodeAt(0))

describe('WebSocket close frames and codes', () => {
  it('decodes 4001 "unauthorized" from the whole frame, from its length and payload, and from the bare payload', () => {
    for (const form of [bytes(0x88, 14, 0x0f, 0xa1, ...UNAUTHORIZED), bytes(14, 0x0f, 0xa1, ...UNAUTHORIZED), bytes(0x0f, 0xa1, ...UNAUTHORIZED)]) {
      assert.deepEqual(decodeClose(form), {code: 4001, reason: 'unauthorized'}, JSON.stringify(form))
    }
    assert.deepEqual(decodeClose(bytes(0x88, 2, 0x03, 0xe9)), {code: 1001, reason: ''})
  })

  it('is not fooled by bytes that are no close: text, an HTTP answer, a code out of range', () => {
    for (const other of ['', 'HTTP/1.1 400 Bad Request\r\n', bytes(0x88, 0), bytes(0x00, 0x10, 0x41), 'hello world']) assert.equal(decodeClose(other), undefined, JSON.stringify(other))
  })

  it('names what each code means: 1000 normal, 1001 going away, 1002 protocol error, 3xxx, 4xxx', () => {
    assert.equal(closeCodeMeaning(1000), 'normal closure')
    assert.match(closeCodeMeaning(1001), /^going away/)
    assert.match(closeCodeMeaning(1002), /^protocol error/)
    assert.match(closeCodeMeaning(1008), /^policy violation/)
    assert.match(closeCodeMeaning(3003), /registered by a library or framework/)
    assert.match(closeCodeMeaning(4001), /application's own code \(4000-4999\)/)
    assert.equal(closeCodeMeaning(2000), 'not a valid close code')
  })
})

describe('describeFailure: the hint that fits the cause', () => {
  const base = {target: '127.0.0.1:8080', protocol: 'ws' as const, firstBytes: '', allClosed: true}
  it('a Socket.IO server (its path, or its open packet) is named as one', () => {
    const byPath = describeFailure({...base, path: '/socket.io/', what: '20 of 20 connections did not echo', closeCodes: new Map([[1005, 20]])})
    assert.match(byPath.suggestion, /speaks Socket\.IO/)
    const byPacket = describeFailure({...base, protocol: 'tcp', what: '20 of 20 connections did not echo', firstBytes: '0{"sid":"x","upgrades":[]}'})
    assert.match(byPacket.suggestion, /speaks Socket\.IO/)
  })

  it('a going-away close says the server is leaving, not that it refused', () => {
    const going = describeFailure({...base, what: 'opened 0 of 5 connections', firstBytes: bytes(0x88, 2, 0x03, 0xe9)})
    assert.match(going.message, /WebSocket close 1001 \(going away/)
    assert.match(going.suggestion, /going away or overloaded/)
  })
})
