// The bundled probe over IPv6 (--family 6): both ends in the probe's namespace on its ULA
// fd00:c1::/64, routed local on lo, the clients' sources spread over it. Needs root (the namespace).
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {execa} from 'execa'

import {assertHeld, BIN, endNotes, run, runJson} from './helpers.js'

const root = process.getuid?.() === 0

async function probe6(args: string[]): Promise<ProbeRunReport> {
  const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--family', '6', '--settle', '300ms', ...args], {timeout: 300_000})
  assertHeld(exitCode, stderr + endNotes(envelope))
  const r = envelope.result
  assert.equal(r.family, 6)
  assert.deepEqual(r.ipv6 && {prefix: r.ipv6.prefix, server: r.ipv6.server}, {prefix: 'fd00:c1::/64', server: 'fd00:c1::1'})
  assert.equal(r.isolation.sysctls['net.ipv6.ip_nonlocal_bind'], '1', 'set in the namespace')
  return r
}

describe('c1m probe --family 6', {skip: root ? false : 'needs root for the namespace'}, () => {
  for (const engine of ['native', 'node']) {
    it(`--engine ${engine}: 20,000 connections over IPv6, the socket's kernel cost counted in TCPv6`, async () => {
      const r = await probe6(['--conns', '20000', '--steps', '4', '--engine', engine])
      assert.equal(r.steps.at(-1)!.established, 20_000)
      assert.equal(r.echo?.echoed, 20_000)
      // The IPv6 socket comes from TCPv6, not TCP: the kernel figure's own caches must say so.
      assert.ok((r.fit.slabPerConn?.TCPv6 ?? 0) > 2 * 2000, `TCPv6 ${r.fit.slabPerConn?.TCPv6} B per connection (two sockets)`)
      assert.ok(r.socketCaches!.bytesPerConn >= r.fit.slabPerConn!.TCPv6, 'the socket caches include TCPv6')
    })
  }

  for (const protocol of ['ws', 'sse', 'stream', 'tls', 'wss']) {
    it(`--protocol ${protocol} over IPv6`, async () => {
      const r = await probe6(['--conns', '1000', '--steps', '2', '--protocol', protocol])
      assert.equal(r.steps.at(-1)!.established, 1000)
    })
  }

  it('without the namespace it is refused in one line, exit 2', async () => {
    const result = await run(['probe', '--family', '6', '--no-netns', '--conns', '100'])
    assert.equal(result.exitCode, 2)
    assert.match(result.stderr.trim(), /^c1m: --family 6 runs the bundled probe over a ULA \/64 on lo in a namespace of its own/)
  })
})

describe('a client bound to a /64 opens more than 64k connections to one server port', {skip: root ? false : 'needs root for the namespace'}, () => {
  // A namespace of the test's own: fd00:c1::/64 routed local on its lo, net.ipv6.ip_nonlocal_bind 1
  // in it (never on the host); deleted after. The server's workers share one port (SO_REUSEPORT) as
  // one process may hold fewer descriptors than 70,000 here.
  const ns = `c1m-test-ipv6-${process.pid}`
  const inNs = (...args: string[]) => execa('ip', ['netns', 'exec', ns, ...args], {reject: false, timeout: 240_000, env: {NO_COLOR: '1', C1M_PROBE_DIR: 'off'}})
  before(async () => {
    await execa('ip', ['netns', 'add', ns])
    await execa('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    await execa('ip', ['-n', ns, '-6', 'route', 'add', 'local', 'fd00:c1::/64', 'dev', 'lo'])
    await inNs('sh', '-c', 'echo 1 > /proc/sys/net/ipv6/ip_nonlocal_bind; echo 65535 > /proc/sys/net/core/somaxconn')
  })
  after(async () => {
    await execa('ip', ['netns', 'delete', ns], {reject: false})
  })
  it('c1m client --source fd00:c1::/64 --conns 70000 against c1m server --reuse-port on [fd00:c1::1]:9000', async () => {
    const server = inNs(process.execPath, BIN, 'server', '--host', 'fd00:c1::1', '--port', '9000', '--reuse-port', '--conns', '70000', '--duration', '200s')
    try {
      await new Promise((resolve) => setTimeout(resolve, 3000))
      const client = inNs(process.execPath, BIN, 'client', '--target', '[fd00:c1::1]:9000', '--source', 'fd00:c1::/64', '--conns', '70000', '--steps', '2', '--hold', '4s', '--no-echo', '--json')
      // While the client holds: the established connections to port 9000 and their source addresses.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      let sources = new Map<string, number>()
      for (let i = 0; i < 60 && [...sources.values()].reduce((a, b) => a + b, 0) < 70_000; i++) {
        await new Promise((resolve) => setTimeout(resolve, 1000))
        const ss = await inNs('ss', '-Htn', 'state', 'established', 'dst', '[fd00:c1::1]:9000')
        sources = new Map()
        for (const line of String(ss.stdout).split('\n').filter(Boolean)) {
          const local = line.trim().split(/\s+/).at(-2)!
          const address = local.slice(0, local.lastIndexOf(':'))
          sources.set(address, (sources.get(address) ?? 0) + 1)
        }
      }
      const result = await client
      assert.equal(result.exitCode, 0, result.stderr)
      assert.equal((JSON.parse(result.stdout) as {result: {established: number}}).result.established, 70_000)
      assert.equal([...sources.values()].reduce((a, b) => a + b, 0), 70_000, 'every connection to the one server port')
      assert.ok(sources.size > 1, `sources used: ${[...sources.keys()].join(' ')}`)
      for (const address of sources.keys()) assert.match(address, /^\[fd00:c1::[\da-f]+\]$/)
    } finally {
      server.kill('SIGTERM')
      await server
    }
  })
})
