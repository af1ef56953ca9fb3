// c1m probe --family 6 --client-hosts K [--nat]: each simulated host has its own /64
// (fd00:c1:K::/64), routed to it from the server's namespace (or the NAT66 router's) via a
// link-local next hop; the server on fd00:c1::1 sees the hosts' own addresses, or with --nat the
// router's one address. And one simulated host opening more than 65,536 connections to one server
// port from its /64. Everything lives in namespaces the test or the run makes and deletes.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {execa} from 'execa'

import {conntrackEntryBytes} from '../src/core/estimate/socket-cost.js'
import {ipv6ToBigInt, PROBE_IPV6_PREFIX, PROBE_IPV6_SERVER} from '../src/core/ipv6-prefix.js'
import {hostRoot} from '../src/host/files/root.js'
import {addNetnsIpv6Prefix} from '../src/host/netns.js'
import {type ClientHostNet, createClientHosts} from '../src/host/probe/client-hosts.js'
import {readMemory} from '../src/host/read/memory.js'
import {duringHold, establishedPeers, probeNamespaces} from './client-hosts-helpers.js'
import {BIN} from './helpers.js'
import {findProgram} from './server-helpers.js'

const isRoot = process.getuid?.() === 0
const nft = findProgram('nft')

/** The /64 an IPv6 address is in, written as fd00:c1:K::/64 is: its first four groups as a number. */
const net64 = (address: string) => ipv6ToBigInt(address) >> 64n
/** A run small enough may end 13 (its kernel fit not a measurement): these tests check the connections. */
const held = (exit: number | null) => exit === 0 || exit === 13

describe('c1m probe --family 6 --client-hosts', {skip: isRoot ? false : 'needs root for namespaces'}, () => {
  for (const engine of ['native', 'node']) {
    it(`--engine ${engine}, 2 hosts: 2,000 connections echo, the server's peers come from the two hosts' /64s, nothing is left`, async () => {
      const {seen: peers, report, exit, pid} = await duringHold(['--family', '6', '--conns', '2000', '--steps', '2', '--client-hosts', '2', '--engine', engine], (netns) => establishedPeers(netns))
      assert.ok(held(exit), `exit ${exit}: ${(report.fit.problems ?? []).join('; ')}`)
      assert.equal(report.family, 6)
      assert.equal(report.echo?.echoed, 2000)
      const hosts = report.isolation.clientHosts!
      assert.deepEqual(hosts.prefixes, ['fd00:c1:1::/64', 'fd00:c1:2::/64'])
      assert.deepEqual(hosts.addresses, [['fd00:c1:1::2'], ['fd00:c1:2::2']])
      assert.equal(hosts.serverAddress, PROBE_IPV6_SERVER)
      assert.equal(hosts.nat, false)
      // What the server's namespace itself holds: 2,000 accepted sockets, their peers in the two /64s.
      assert.equal(peers.length, 2000, `server namespace holds ${peers.length} established sockets`)
      const byNet = new Map<bigint, number>()
      for (const peer of peers) byNet.set(net64(peer), (byNet.get(net64(peer)) ?? 0) + 1)
      assert.deepEqual([...byNet.keys()].sort(), [net64('fd00:c1:1::'), net64('fd00:c1:2::')])
      assert.deepEqual([...byNet.values()], [1000, 1000])
      assert.ok((report.fit.slabPerConn?.TCPv6 ?? 0) > 0, 'the sockets are TCPv6')
      assert.equal(report.conntrack, undefined, 'no NAT, no conntrack figure')
      assert.deepEqual(await probeNamespaces(pid), [])
    })
  }

  it('--nat is NAT66: the server sees the router\'s one address, the router\'s table holds an IPv6 entry per connection', {skip: nft || process.env.CI ? false : 'nftables is not installed (.ci/run installs it)'}, async () => {
    // While the run holds: the server's peers, and the router's conntrack count (per namespace).
    const read = async (netns: string) => {
      const peers = await establishedPeers(netns)
      const count = await execa('ip', ['netns', 'exec', `${netns}-nat`, 'cat', '/proc/sys/net/netfilter/nf_conntrack_count'], {timeout: 10_000})
      return {peers, routerEntries: Number(count.stdout.trim())}
    }
    const {seen, report, exit, pid} = await duringHold(['--family', '6', '--conns', '8000', '--steps', '2', '--client-hosts', '2', '--nat'], read)
    assert.ok(held(exit), `exit ${exit}: ${(report.fit.problems ?? []).join('; ')}`)
    assert.equal(report.echo?.echoed, 8000)
    assert.equal(seen.peers.length, 8000)
    assert.deepEqual([...new Set(seen.peers)], ['fd00:c1:ffff::1'], 'masqueraded behind the router address')
    const conntrack = report.conntrack!
    assert.ok(conntrack, 'a conntrack figure')
    assert.equal(conntrack.family, 6)
    assert.equal(conntrack.entries?.ipv4, 0)
    assert.ok(conntrack.entries!.ipv6 >= 8000, `${conntrack.entries!.ipv6} IPv6 entries`)
    // The router's own count, read through /proc/sys there while the connections were held: the same entries.
    assert.ok(seen.routerEntries >= 8000, `nf_conntrack_count ${seen.routerEntries} in the router`)
    assert.ok(Math.abs(conntrack.entries!.ipv6 - seen.routerEntries) <= 80, `report ${conntrack.entries!.ipv6}, router ${seen.routerEntries}`)
    // An IPv6 entry is the same nf_conntrack object as an IPv4 one.
    const formula = conntrackEntryBytes(readMemory(hostRoot('/')).slab)
    assert.ok(Math.abs(conntrack.bytesPerConn - formula) / formula < 0.15, `measured ${conntrack.bytesPerConn} B, slab object ${formula} B`)
    assert.deepEqual(await probeNamespaces(pid), [])
  })
})

describe('one simulated IPv6 host opens more than 65,536 connections to one server port', {skip: isRoot ? false : 'needs root for namespaces'}, () => {
  // The probe's topology (createClientHosts) around a server namespace of the test's own: the server's
  // workers share [fd00:c1::1]:9000 with SO_REUSEPORT, as one process may hold fewer descriptors than
  // 70,000 here; the host's client binds addresses of fd00:c1:1::/64. All of it deleted after.
  const server = `c1m-test-v6hosts-${process.pid}`
  let hosts: ClientHostNet | undefined
  const inNs = (netns: string, ...args: string[]) => execa('ip', ['netns', 'exec', netns, ...args], {reject: false, timeout: 240_000, env: {NO_COLOR: '1', C1M_PROBE_DIR: 'off'}})
  before(async () => {
    await execa('ip', ['netns', 'add', server])
    await execa('ip', ['-n', server, 'link', 'set', 'lo', 'up'])
    await inNs(server, 'sh', '-c', 'echo 65535 > /proc/sys/net/core/somaxconn')
    await addNetnsIpv6Prefix(server, PROBE_IPV6_PREFIX)
    hosts = await createClientHosts(server, [2], false, 6)
  })
  after(async () => {
    await hosts?.remove()
    await execa('ip', ['netns', 'delete', server], {reject: false})
    const left = (await execa('ip', ['netns', 'list'])).stdout.split('\n').filter((line) => line.startsWith(server))
    assert.deepEqual(left, [])
  })

  it('70,000 from fd00:c1:1::/64 to [fd00:c1::1]:9000, each seen by the server from that /64', {timeout: 300_000}, async () => {
    const serving = inNs(server, process.execPath, BIN, 'server', '--host', PROBE_IPV6_SERVER, '--port', '9000', '--reuse-port', '--conns', '70000', '--duration', '200s')
    try {
      await new Promise((resolve) => setTimeout(resolve, 3000))
      const started = Date.now()
      const client = inNs(hosts!.hosts[0].netns, process.execPath, BIN, 'client', '--target', `[${PROBE_IPV6_SERVER}]:9000`, '--source', 'fd00:c1:1::/64', '--conns', '70000', '--steps', '2', '--hold', '4s', '--no-echo', '--json')
      // While the client holds: the server's own established sockets on port 9000, and their peers.
      let peers: string[] = []
      for (let i = 0; i < 120 && peers.length < 70_000; i++) {
        await new Promise((resolve) => setTimeout(resolve, 1000))
        peers = await establishedPeers(server, 9000)
      }
      const result = await client
      assert.equal(result.exitCode, 0, result.stderr)
      assert.equal((JSON.parse(result.stdout) as {result: {established: number}}).result.established, 70_000)
      assert.equal(peers.length, 70_000, 'every connection on the one server port')
      const sources = new Set(peers)
      assert.ok(sources.size > 1, `sources: ${[...sources].join(' ')}`)
      for (const address of sources) assert.equal(net64(address), net64('fd00:c1:1::'), address)
      assert.ok(Date.now() - started < 240_000)
    } finally {
      serving.kill('SIGTERM')
      await serving
    }
  })
})
