// The simulated client hosts' address plan (pure): IPv4 hosts a /24 each (at most 253 sources),
// IPv6 hosts a /64 each of the ULA fd00:c1::/32, the sources taken from it as the share needs.
import assert from 'node:assert/strict'
import net from 'node:net'
import {describe, it} from 'node:test'

import {ipv6ToBigInt, parseIpv6Prefix, PROBE_IPV6_PREFIX} from '../src/core/ipv6-prefix.js'
import {CLIENT_HOSTS_IPV6, clientHostAddresses, clientHostPrefix, clientHostShards, MAX_CLIENT_HOSTS, planClientHosts} from '../src/core/probe/plan-client-hosts.js'

/** Is `address` inside `prefix` (IPv6)? */
function inPrefix(address: string, prefix: string): boolean {
  const {network, length} = parseIpv6Prefix(prefix)
  return ipv6ToBigInt(address) >> BigInt(128 - length) === network >> BigInt(128 - length)
}

describe('planClientHosts', () => {
  it('IPv6: host K has fd00:c1:K::/64, its sources from ::2 up, as many as its share needs at 64,512 ports each', () => {
    const plan = planClientHosts(200_000, 2, 6)
    assert.deepEqual(plan.shares, [100_000, 100_000])
    assert.deepEqual(plan.addressCounts, [2, 2])
    assert.equal(clientHostPrefix(1, 6), 'fd00:c1:1::/64')
    assert.equal(clientHostPrefix(12, 6), 'fd00:c1:12::/64')
    assert.deepEqual(clientHostAddresses(2, 3, 6), ['fd00:c1:2::2', 'fd00:c1:2::3', 'fd00:c1:2::4'])
  })

  it('IPv6: no cap of 253 addresses a host, as the /64 holds far more', () => {
    const conns = 300 * 64_512
    assert.deepEqual(planClientHosts(conns, 1, 6).addressCounts, [300])
    assert.deepEqual(planClientHosts(conns, 1, 4).addressCounts, [253], 'an IPv4 host stops at its /24')
    const addresses = clientHostAddresses(1, 300, 6)
    assert.equal(new Set(addresses).size, 300)
    assert.ok(addresses.every((a) => inPrefix(a, 'fd00:c1:1::/64')))
  })

  it('IPv6: every host prefix is disjoint from the others, from the server\'s fd00:c1::/64 and from the NAT link', () => {
    const prefixes = Array.from({length: MAX_CLIENT_HOSTS}, (_, i) => clientHostPrefix(i + 1, 6))
    const networks = prefixes.map((p) => parseIpv6Prefix(p).network)
    assert.equal(new Set(networks).size, MAX_CLIENT_HOSTS)
    for (const other of [PROBE_IPV6_PREFIX, CLIENT_HOSTS_IPV6.natLink]) assert.ok(!networks.includes(parseIpv6Prefix(other).network), other)
    assert.ok(inPrefix(CLIENT_HOSTS_IPV6.natRouter, CLIENT_HOSTS_IPV6.natLink) && inPrefix(CLIENT_HOSTS_IPV6.natServer, CLIENT_HOSTS_IPV6.natLink))
    for (const p of prefixes) assert.ok(!inPrefix(CLIENT_HOSTS_IPV6.natRouter, p) && !inPrefix(CLIENT_HOSTS_IPV6.natServer, p), p)
  })

  it('IPv4 keeps its plan: 10.201.K.0/24, sources from .2', () => {
    assert.equal(clientHostPrefix(3, 4), '10.201.3.0/24')
    assert.deepEqual(clientHostAddresses(3, 2, 4), ['10.201.3.2', '10.201.3.3'])
    assert.deepEqual(planClientHosts(3000, 3).addressCounts, [1, 1, 1])
  })

  it('the shards of an IPv6 host bind [address]:ports slices of its own /64 only', () => {
    const plan = planClientHosts(140_000, 2, 6)
    const addresses = [clientHostAddresses(1, plan.addressCounts[0], 6), clientHostAddresses(2, plan.addressCounts[1], 6)]
    const {shards, hostOf} = clientHostShards(plan.shares, addresses, 20_000)
    assert.equal(shards.reduce((sum, s) => sum + s.quota, 0), 140_000)
    for (const shard of shards) {
      for (const slice of shard.sources) {
        const [, address] = /^\[(.+)\]:\d+-\d+$/.exec(slice)!
        assert.equal(net.isIPv6(address), true, slice)
        assert.ok(inPrefix(address, clientHostPrefix(hostOf[shard.index] + 1, 6)), `${slice} of host ${hostOf[shard.index] + 1}`)
      }
    }
  })
})
