// IPv6 and host names in what the probe parses: --target HOST:PORT and every URL scheme with a
// bracketed IPv6 literal, IPv6 prefixes for --source, and the hostile inputs each refused in one line
// with exit 2. Pure functions, table-driven; the command line is checked for the same refusals.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseTarget} from '../src/core/probe/protocol.js'
import {formatEndpoint, parseEndpoint} from '../src/core/units.js'
import {addressesInPrefix, bigIntToIpv6, ipv6ToBigInt, parseIpv6Prefix, sourceAddresses} from '../src/core/ipv6-prefix.js'
import {procNet6Address} from '../src/host/read/accept-queue.js'
import {planShards} from '../src/core/probe/plan-shards.js'
import {planProbe} from '../src/core/probe/plan-probe.js'
import {run} from './helpers.js'

describe('parseEndpoint', () => {
  const accepted: Array<[string, string, number]> = [
    ['127.0.0.1:9000', '127.0.0.1', 9000],
    ['[::1]:9000', '::1', 9000],
    ['[::]:1', '::', 1],
    ['[fd00:c1::2]:65535', 'fd00:c1::2', 65_535],
    ['[::ffff:127.0.0.1]:80', '::ffff:127.0.0.1', 80],
    ['localhost:9000', 'localhost', 9000],
    ['chat.example.com:443', 'chat.example.com', 443],
    ['chat.example.com.:443', 'chat.example.com', 443],
  ]
  for (const [text, host, port] of accepted) {
    it(`reads ${text}`, () => assert.deepEqual(parseEndpoint(text), {host, port}))
  }
  const refused: Array<[string, RegExp]> = [
    ['[::1', /no closing "\]"/],
    ['[::1]', /port is missing after "\]"/],
    ['[zz::1]:80', /"zz::1" in brackets is not an IPv6 address/],
    ['[::1]:0', /port must be 1 to 65535, got "0"/],
    ['[::1]:65536', /port must be 1 to 65535/],
    ['[::1]:-1', /port must be 1 to 65535/],
    ['::1:80', /an IPv6 address needs brackets/],
    ['fd00::1:80', /an IPv6 address needs brackets/],
    ['300.1.1.1:80', /"300.1.1.1" is not an IPv4 address/],
    [`${'a'.repeat(300)}:80`, /longer than any address and port/],
    [`${'a'.repeat(64)}.com:80`, /neither an IP address nor a host name/],
    ['local\u0000host:80', /control character/],
    ['local\nhost:80', /control character/],
    ['\u001b[31mred:80', /control character/],
    ['under_score:80', /neither an IP address nor a host name/],
    ['9000', /port is missing/],
  ]
  for (const [text, why] of refused) {
    it(`refuses ${JSON.stringify(text.slice(0, 40))} in one line`, () => {
      assert.throws(() => parseEndpoint(text), (error: Error & {code?: string}) => {
        assert.equal(error.code, 'E_USAGE')
        assert.match(error.message, why)
        assert.ok([...error.message].every((c) => c.charCodeAt(0) >= 0x20), 'no control character reaches the terminal')
        assert.ok(error.message.length < 200, `short: ${error.message}`)
        return true
      })
    })
  }
  it('writes IPv6 in brackets, IPv4 and names without', () => {
    assert.equal(formatEndpoint('::1', 80), '[::1]:80')
    assert.equal(formatEndpoint('127.0.0.1', 80), '127.0.0.1:80')
    assert.equal(formatEndpoint('localhost', 80), 'localhost:80')
    assert.equal(formatEndpoint('fd00::2', '1024-65535'), '[fd00::2]:1024-65535')
  })
})

describe('parseTarget over IPv6 and names', () => {
  const table: Array<[string, object]> = [
    ['ws://[::1]:8080/', {host: '::1', port: 8080, protocol: {kind: 'ws', path: '/', host: '[::1]:8080'}}],
    ['wss://[::1]:8443/live', {host: '::1', port: 8443, protocol: {kind: 'ws', path: '/live', host: '[::1]:8443', tls: {insecure: false}}}],
    ['tcp://[::1]:6379', {host: '::1', port: 6379, protocol: {kind: 'tcp'}}],
    ['tls://[::1]:443', {host: '::1', port: 443, protocol: {kind: 'tcp', tls: {insecure: false}}}],
    ['mqtt://[::1]:1883', {host: '::1', port: 1883, protocol: {kind: 'mqtt'}}],
    ['mqtts://[::1]:8883', {host: '::1', port: 8883, protocol: {kind: 'mqtt', tls: {insecure: false}}}],
    ['[::1]:9000', {host: '::1', port: 9000, protocol: {kind: 'tcp'}}],
    // A name over TLS is the SNI and the name checked in the certificate.
    ['wss://chat.example.com:443/', {host: 'chat.example.com', port: 443, protocol: {kind: 'ws', path: '/', host: 'chat.example.com:443', tls: {insecure: false, servername: 'chat.example.com'}}}],
    ['mqtts://localhost:8883', {host: 'localhost', port: 8883, protocol: {kind: 'mqtt', tls: {insecure: false, servername: 'localhost'}}}],
  ]
  for (const [text, expected] of table) it(`reads ${text}`, () => assert.deepEqual(parseTarget(text), expected))
  it('reads http:// and https:// with a bracketed address', () => {
    assert.deepEqual(parseTarget('http://[::1]:8080/events', undefined, 'sse'), {host: '::1', port: 8080, protocol: {kind: 'sse', path: '/events', host: '[::1]:8080'}})
    assert.deepEqual(parseTarget('https://[::1]:8443/poll', undefined, 'long-poll').protocol, {kind: 'long-poll', path: '/poll', host: '[::1]:8443', tls: {insecure: false}})
  })
  it('refuses a broken bracket inside a URL', () => {
    assert.throws(() => parseTarget('ws://[::1:8080/'), /no closing "\]"/)
    assert.throws(() => parseTarget('ws://[zz::1]:80/'), /not an IPv6 address/)
  })
})

describe('IPv6 prefixes and sources', () => {
  it('converts addresses both ways', () => {
    for (const a of ['::', '::1', 'fd00:c1::2', '2001:db8::ffff:1', 'fe80::1:2:3:4']) assert.equal(bigIntToIpv6(ipv6ToBigInt(a)), a)
  })
  it('takes addresses inside a prefix, from ::1 (or the asked first) up', () => {
    assert.deepEqual(addressesInPrefix('fd00:c1::/64', 3), ['fd00:c1::1', 'fd00:c1::2', 'fd00:c1::3'])
    assert.deepEqual(addressesInPrefix('fd00:c1::9/64', 2, 2), ['fd00:c1::2', 'fd00:c1::3'])
    assert.deepEqual(parseIpv6Prefix('2001:db8:1:2:3::/48'), {network: ipv6ToBigInt('2001:db8:1::'), length: 48})
  })
  it('refuses what is not an IPv6 prefix, or one too small', () => {
    assert.throws(() => parseIpv6Prefix('fd00:c1m::/64'), /not an IPv6 prefix such as fd00:c1::\/64/)
    assert.throws(() => parseIpv6Prefix('10.0.0.0/8'), /not an IPv6 prefix/)
    assert.throws(() => parseIpv6Prefix('fd00::/129'), /not an IPv6 prefix/)
    assert.throws(() => addressesInPrefix('fd00::/127', 3), /holds 1 addresses, fewer than the 3/)
  })
  it('matches --source to the target family', () => {
    assert.deepEqual(sourceAddresses(['fd00:1::/64'], 6, 2), ['fd00:1::1', 'fd00:1::2'])
    assert.deepEqual(sourceAddresses(['::1'], 6, 2), ['::1'])
    assert.throws(() => sourceAddresses(['fd00:1::/64'], 4, 2), /IPv6 prefix and the target is IPv4/)
    assert.throws(() => sourceAddresses(['10.0.0.1'], 6, 1), /must be an IPv6 address, as the target is/)
  })
  it('splits IPv6 sources into bracketed slices', () => {
    const shards = planShards({conns: 70_000, hardNofile: 1_000_000, sources: {kind: 'addresses', addresses: ['fd00:c1::2', 'fd00:c1::3']}})
    assert.deepEqual(shards[0].sources, ['[fd00:c1::2]:1024-65535', '[fd00:c1::3]:1024-65535'])
  })
  it('plans the bundled probe over IPv6 from the ULA /64, as many addresses as the connections need', () => {
    const plan = planProbe({conns: 70_000, hardNofile: 1_000_000, family: 6})
    assert.deepEqual(plan.shards.flatMap((s) => s.sources), ['[fd00:c1::2]:1024-65535', '[fd00:c1::3]:1024-65535'])
    assert.equal(planProbe({conns: 10, hardNofile: 1000, target: {host: '::1', port: 80, serverPid: 1, serverPids: [1]}}).socketsPerConn, 2)
  })
  it('writes an IPv6 endpoint as /proc/net/tcp6 does', () => {
    assert.equal(procNet6Address('::1', 8080), '00000000000000000000000001000000:1F90')
    assert.equal(procNet6Address('fd00:c1::1', 80), 'C10000FD000000000000000001000000:0050')
  })
})

describe('the command line refuses hostile targets with exit 2', () => {
  for (const target of ['[::1', '[zz::1]:80', '[::1]:0', `${'a'.repeat(300)}:80`, 'ws://lo\u0007cal:80/']) {
    it(`c1m client --target ${JSON.stringify(target.slice(0, 30))}`, async () => {
      const result = await run(['client', '--target', target, '--conns', '1'])
      assert.equal(result.exitCode, 2)
      const lines = result.stderr.trim().split('\n')
      assert.equal(lines.length, 1, result.stderr)
      assert.match(lines[0], /^c1m: --target /)
    })
  }
  it('c1m server --host refuses what is not an address', async () => {
    const result = await run(['server', '--host', '[::1', '--duration', '1s'])
    assert.equal(result.exitCode, 2)
    assert.match(result.stderr, /--host must be an IPv4 or IPv6 address/)
  })
})
