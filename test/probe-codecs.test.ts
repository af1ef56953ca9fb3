import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {PROBES_DIR} from '../src/probe/engine.js'
import {REPO_ROOT} from './helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-codecs-'))
after(() => rmSync(dir, {recursive: true, force: true}))

describe('the native engines\' codecs (SHA-1, base64, WebSocket frames, chunked bodies, MQTT lengths)', () => {
  it('give the known answers, each parser fed its input split at every offset, under the sanitizers', async () => {
    const binary = path.join(dir, 'codecs')
    const flags = ['-O1', '-g', '-Wall', '-Wextra', '-Werror', '-fsanitize=address,undefined', '-fno-sanitize-recover=all']
    const built = await execa(process.env.CC || 'cc', [...flags, `-I${PROBES_DIR}`, '-o', binary, path.join(REPO_ROOT, 'test/probe-codecs.c')], {reject: false, timeout: 120_000})
    assert.equal(built.exitCode, 0, built.stderr)
    const ran = await execa(binary, [], {reject: false, timeout: 60_000})
    const lines = ran.stdout.split('\n').filter(Boolean)
    assert.deepEqual(lines.filter((line) => !line.startsWith('ok ')), [], ran.stderr)
    assert.equal(ran.exitCode, 0, ran.stderr)
    // Every table row ran: 3 SHA-1, 7 base64, 1 accept, 1 chunked, 12 frames, 4 frame refusals,
    // 8 + 1 MQTT lengths, CONNECT.
    assert.equal(lines.length, 38)
    for (const name of ['sha1 FIPS 180 vector', 'websocket accept of RFC 6455 section 1.3', 'chunked body with extensions and a trailer, split at every offset', 'mqtt remaining length']) {
      assert.ok(lines.includes(`ok ${name}`), name)
    }
  })
})
