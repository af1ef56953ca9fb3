// The native client's --no-reuseaddr: bound source ports without SO_REUSEADDR (the probe's own
// namespace, nothing to reuse), where a port another socket holds is skipped instead of shared.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {after, describe, it} from 'node:test'

import {procNetAddress} from '../src/host/read/accept-queue.js'
import {prepareEngine} from '../src/probe/engine.js'
import './helpers.js' // the shared test build cache (XDG_CACHE_HOME)
import {type Peer, startPeer} from '../src/probe/peer.js'

const SOURCE = '127.1.236.1'
const started: Peer[] = []
after(async () => {
  await Promise.all(started.map((peer) => peer.stop()))
})

/** Local ports of the established TCP sockets bound to `ip`, from /proc/net/tcp (the test's own reading). */
function localPorts(ip: string): number[] {
  const [hex] = procNetAddress(ip, 0).split(':')
  return readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/)).filter((fields) => fields[3] === '01' && fields[1].startsWith(`${hex}:`)).map((fields) => Number.parseInt(fields[1].split(':')[1], 16)).sort((a, b) => a - b)
}

async function client(target: string, extra: string[], name: string): Promise<Peer<'client'>> {
  const peer = await startPeer((await prepareEngine('native')).client, ['--target', target, '--source', `${SOURCE}:31000-31001`, ...extra], name)
  started.push(peer)
  return peer
}

describe('the native client binding its source ports', () => {
  it('shares a port another SO_REUSEADDR socket holds by default, and skips it with --no-reuseaddr', async () => {
    const {server: program} = await prepareEngine('native')
    const [first, second] = await Promise.all(['first', 'second'].map(async (name) => {
      const server = await startPeer(program, ['--listen', '127.0.0.1:0'], `${name} server`)
      started.push(server)
      return `127.0.0.1:${server.ready.port}`
    }))
    // A holds 31000, connected to the first server (bound with SO_REUSEADDR, as every default client).
    const holder = await client(first, [], 'holder')
    assert.equal((await holder.ask('open 1', 10_000)).established, 1)
    assert.deepEqual(localPorts(SOURCE), [31000])

    // By default both sockets set SO_REUSEADDR and neither listens: the bind shares 31000.
    const sharing = await client(second, [], 'sharing')
    assert.equal((await sharing.ask('open 1', 10_000)).established, 1)
    assert.equal((await sharing.ask('count', 10_000)).addrInUse, 0)
    assert.deepEqual(localPorts(SOURCE), [31000, 31000])
    await sharing.stop()

    // Without SO_REUSEADDR the bind on 31000 fails; the client counts it and takes 31001.
    const fresh = await client(second, ['--no-reuseaddr'], 'fresh')
    assert.equal((await fresh.ask('open 1', 10_000)).established, 1)
    assert.equal((await fresh.ask('count', 10_000)).addrInUse, 1)
    assert.deepEqual(localPorts(SOURCE), [31000, 31001])
  })
})
