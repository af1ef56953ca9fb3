import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {runSanitizedDriver} from './c-driver.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-codecs-'))
after(() => rmSync(dir, {recursive: true, force: true}))

describe('the native engines\' codecs (SHA-1, base64, WebSocket frames, chunked bodies, MQTT lengths)', () => {
  it('give the known answers, each parser fed its input split at every offset, under the sanitizers', async () => {
    const lines = await runSanitizedDriver('probe-codecs.c', dir)
    // Every table row ran: 3 SHA-1, 7 base64, 1 accept, 1 chunked, 12 frames, 4 frame refusals,
    // 8 + 1 MQTT lengths, CONNECT.
    assert.equal(lines.length, 38)
    for (const name of ['sha1 FIPS 180 vector', 'websocket accept of RFC 6455 section 1.3', 'chunked body with extensions and a trailer, split at every offset', 'mqtt remaining length']) {
      assert.ok(lines.includes(`ok ${name}`), name)
    }
  })
})
