// c1m probe --client-hosts K [--nat]: the clients on K simulated hosts (namespaces of their own,
// bridged to the server's, each with its subnet), optionally behind a masquerading router, so
// that the server sees remote addresses and, with --nat, conntrack holds every connection.
// Everything lives in namespaces the run makes and deletes; the host's settings are untouched.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {conntrackEntryBytes} from '../src/core/estimate/socket-cost.js'
import {readMemory} from '../src/host/read/memory.js'
import {hostRoot} from '../src/host/files/root.js'
import {runJson} from './helpers.js'
import {duringHold, establishedPeers, probeNamespaces} from './client-hosts-helpers.js'
import {findProgram} from './server-helpers.js'
import {exitWithin, spawnC1m} from './spawn-c1m.js'

const isRoot = process.getuid?.() === 0
const nft = findProgram('nft')
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-hosts-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/** Run a probe that holds its connections, and list the server namespace's established peers meanwhile. */
async function peersDuringHold(args: string[]) {
  const {seen, ...rest} = await duringHold(args, (netns) => establishedPeers(netns))
  return {peers: seen, ...rest}
}

describe('c1m probe --client-hosts', {skip: isRoot ? false : 'needs root for namespaces'}, () => {
  it('3 hosts: every connection opens and echoes, the server sees each host\'s own address, nothing is left', async () => {
    const {peers, report, exit, pid} = await peersDuringHold(['--conns', '3000', '--steps', '2', '--client-hosts', '3'])
    assert.equal(exit, 0, (report.fit.problems ?? []).join('; '))
    assert.equal(report.echo?.echoed, 3000)
    assert.deepEqual(report.isolation.clientHosts?.addresses, [['10.201.1.2'], ['10.201.2.2'], ['10.201.3.2']])
    assert.equal(report.isolation.clientHosts?.nat, false)
    assert.deepEqual(report.isolation.clientHosts?.prefixes, ['10.201.1.0/24', '10.201.2.0/24', '10.201.3.0/24'])
    assert.equal(report.family, 4)
    assert.ok(peers.length >= 3000, `server namespace holds ${peers.length} established sockets`)
    assert.deepEqual([...new Set(peers)].sort(), ['10.201.1.2', '10.201.2.2', '10.201.3.2'])
    assert.equal(report.conntrack, undefined, 'no NAT, no conntrack figure')
    assert.deepEqual(await probeNamespaces(pid), [])
  })

  it('--nat: the server sees only the router, conntrack grows by one slab object per connection, estimate takes the figure', {skip: nft || process.env.CI ? false : 'nftables is not installed (.ci/run installs it)'}, async () => {
    const {peers, report, exit, pid} = await peersDuringHold(['--conns', '8000', '--steps', '2', '--client-hosts', '4', '--nat'])
    assert.equal(exit, 0, (report.fit.problems ?? []).join('; '))
    assert.equal(report.echo?.echoed, 8000)
    assert.deepEqual([...new Set(peers)], ['10.202.0.1'], 'masqueraded behind the router address')
    const formula = conntrackEntryBytes(readMemory(hostRoot('/')).slab)
    assert.ok(report.conntrack, 'a conntrack figure')
    assert.ok(Math.abs(report.conntrack.bytesPerConn - formula) / formula < 0.15, `measured ${report.conntrack.bytesPerConn} B, slab object ${formula} B`)
    assert.equal(report.conntrack.family, 4)
    // The router's own table: an IPv4 entry for each connection, and no IPv6 one.
    assert.ok(report.conntrack.entries!.ipv4 >= 8000, `${report.conntrack.entries!.ipv4} IPv4 entries`)
    assert.equal(report.conntrack.entries!.ipv6, 0)
    assert.deepEqual(await probeNamespaces(pid), [])

    const file = path.join(dir, 'nat.json')
    const {writeFileSync} = await import('node:fs')
    writeFileSync(file, JSON.stringify(report))
    const {envelope} = await runJson<{conntrack: {counted: boolean; measuredEntryBytes?: number}}>(['estimate', '--conns', '1M', '--calibration', file, '--conntrack', 'on'])
    assert.equal(envelope.result.conntrack.measuredEntryBytes, report.conntrack.bytesPerConn)
    assert.ok(readFileSync(file, 'utf8').length > 0)
  })

  const refusals: Array<[string, string[], number, RegExp]> = [
    ['--nat without --client-hosts', ['--nat'], 2, /--client-hosts/],
    ['--client-hosts with --no-netns', ['--client-hosts', '2', '--no-netns'], 2, /needs network namespaces, and --no-netns asks for none/],
    ['--client-hosts 0', ['--client-hosts', '0'], 2, /client-hosts/],
    ['more hosts than connections', ['--client-hosts', '5', '--conns', '4', '--steps', '2'], 2, /--conns 4 is fewer than --client-hosts 5/],
  ]
  for (const [name, args, exit, message] of refusals) {
    it(`refuses ${name} in one line before making anything`, async () => {
      const probe = await spawnC1m(['probe', ...args])
      const exitCode = await exitWithin(probe, 60_000)
      const {stderr} = probe.output
      assert.equal(exitCode, exit, stderr)
      assert.match(stderr, message)
      assert.equal(stderr.trim().split('\n').length, 1, stderr)
      assert.deepEqual(await probeNamespaces(probe.child.pid!), [])
    })
  }
})
