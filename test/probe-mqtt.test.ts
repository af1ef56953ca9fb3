// MQTT in the native engine, against a real broker: Debian's mosquitto, run from a temp
// directory on a loopback port (.ci/run installs it). A connection counts once CONNACK 0
// arrived; a broker that refuses (CONNACK 5, not authorized) is a failure with the packet quoted.
import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {runJson} from './helpers.js'
import {findProgram, freePort, stopPids, waitForPort} from './server-helpers.js'

const mosquitto = findProgram('mosquitto')
const skip = mosquitto || process.env.CI ? false : 'mosquitto is not installed (apt-get install mosquitto; .ci/run does)'
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-mqtt-'))
const brokers: ChildProcess[] = []
after(async () => {
  await stopPids(brokers.map((b) => b.pid!).filter(Boolean))
  rmSync(dir, {recursive: true, force: true})
})

async function broker(name: string, anonymous: boolean): Promise<{port: number; pid: number}> {
  const port = await freePort()
  const conf = path.join(dir, `${name}.conf`)
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous ${anonymous}\nmax_connections -1\npersistence false\nlog_dest none\n`)
  const child = spawn(mosquitto!, ['-c', conf], {stdio: 'ignore'})
  brokers.push(child)
  await waitForPort(port)
  return {port, pid: child.pid!}
}

describe('c1m probe --target mqtt:// against mosquitto', {skip}, () => {
  it('every connection gets CONNACK 0 and answers PINGREQ with PINGRESP', async () => {
    const {port, pid} = await broker('open', true)
    const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--target', `mqtt://127.0.0.1:${port}`, '--server-pid', String(pid), '--conns', '3000', '--steps', '2', '--settle', '200ms'])
    assert.equal(exitCode, 0, stderr)
    assert.equal(envelope.result.protocol, 'mqtt')
    assert.equal(envelope.result.echo?.echoed, 3000)
    assert.ok(envelope.result.fit.server.bytesPerConn > 0, 'the broker grows with its clients')
  })

  it('a broker that refuses anonymous clients: CONNACK 5 quoted, exit 10, no connection counted', async () => {
    const {port, pid} = await broker('closed', false)
    const {envelope, exitCode} = await runJson(['probe', '--target', `mqtt://127.0.0.1:${port}`, '--server-pid', String(pid), '--conns', '200', '--steps', '2'])
    assert.equal(exitCode, 10)
    assert.equal(envelope.error?.code, 'E_PROBE_FAILED')
    assert.match(envelope.error!.message, /the server refused \d+ connections: it answered the MQTT CONNECT with " \\x02\\x00\\x05"/)
    assert.match(envelope.error!.suggestion!, /allow_anonymous/)
  })
})
