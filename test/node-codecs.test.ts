import assert from 'node:assert/strict'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, it} from 'node:test'

import {PROBES_DIR} from '../src/probe/engine.js'

interface Codecs {
  wsAccept(key: string): string
  readFrames(buffer: Buffer): {frames?: Array<{opcode: number; payload: Buffer}>; rest?: Buffer; error?: string}
  Unchunker: new () => {push(chunk: Buffer): {payload: Buffer[]; chunks: number; used: number; done: boolean}}
  readPackets(buffer: Buffer): {packets?: Array<{first: number; body: Buffer; end: number}>; rest?: Buffer; error?: string}
  mqttPublish(topic: string, payload: Buffer): Buffer
}

// The node engine's codecs, as the node client loads them.
const codecs = (await import(pathToFileURL(path.join(PROBES_DIR, 'node-protocol.mjs')).href)) as Codecs

/** An unmasked frame as a server sends it. */
function serverFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff]) : Buffer.from([0x80 | opcode, 127, 0, 0, 0, 0, len >>> 24, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff])
  return Buffer.concat([head, payload])
}

describe('the node engine\'s codecs', () => {
  it('answer the RFC 6455 example key with its accept', () => {
    assert.equal(codecs.wsAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
  })

  it('read frames of 7-, 16- and 64-bit lengths from two reads split at every offset of the header and after', () => {
    for (const size of [0, 125, 126, 65_535, 65_536]) {
      const payload = Buffer.alloc(size, 0x61)
      const frame = serverFrame(0x1, payload)
      const hl = frame.length - size
      for (const split of [...Array.from({length: hl + 2}, (_, i) => i), frame.length]) {
        const first = codecs.readFrames(frame.subarray(0, split))
        assert.equal(first.error, undefined)
        const carried = Buffer.concat([first.rest!, frame.subarray(split)])
        const second = codecs.readFrames(carried)
        const frames = [...first.frames!, ...second.frames!]
        assert.equal(frames.length, 1, `${size} bytes split at ${split}`)
        assert.deepEqual([frames[0].opcode, frames[0].payload.length, second.rest!.length], [1, size, 0])
      }
    }
    assert.match(codecs.readFrames(Buffer.from([0x89, 126, 0, 200])).error!, /control frame/)
    assert.match(codecs.readFrames(Buffer.from([0x81, 0x80])).error!, /masked/)
  })

  it('take the chunked encoding off a body with extensions and a trailer, split at every offset', () => {
    const body = Buffer.from('4;name=value\r\nWiki\r\n5\r\npedia\r\nE;x\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nAFTER')
    for (let split = 0; split <= body.length; split++) {
      const unchunker = new codecs.Unchunker()
      const first = unchunker.push(body.subarray(0, split))
      const second = first.done ? {payload: [], chunks: 0, used: 0, done: true} : unchunker.push(body.subarray(split))
      const data = Buffer.concat([...first.payload, ...second.payload]).toString()
      assert.deepEqual([data, first.chunks + second.chunks, first.used + second.used, second.done], ['Wikipedia in\r\n\r\nchunks.', 3, body.length - 'AFTER'.length, true], `split at ${split}`)
    }
  })

  it('read MQTT packets with remaining lengths of one to four bytes, split at every offset of the header', () => {
    for (const size of [0, 120, 121, 16_377, 16_378, 2_097_146]) {
      const packet = codecs.mqttPublish('t', Buffer.alloc(size, 0x78))
      const lengthBytes = packet.length - 3 - size - 1
      assert.equal(lengthBytes, size + 3 < 128 ? 1 : size + 3 < 16_384 ? 2 : size + 3 < 2_097_152 ? 3 : 4)
      for (const split of [...Array.from({length: lengthBytes + 2}, (_, i) => i), packet.length]) {
        const first = codecs.readPackets(packet.subarray(0, split))
        const second = codecs.readPackets(Buffer.concat([first.rest!, packet.subarray(split)]))
        const packets = [...first.packets!, ...second.packets!]
        assert.equal(packets.length, 1, `${size} bytes split at ${split}`)
        assert.deepEqual([packets[0].first, packets[0].body.length], [0x30, size + 3])
      }
    }
    assert.match(codecs.readPackets(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])).error!, /malformed/)
  })
})
