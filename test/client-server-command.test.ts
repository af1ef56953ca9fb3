import assert from 'node:assert/strict'
import {copyFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {ClientRunResult} from '../src/probe/run-client.js'
import type {ServerRunResult} from '../src/probe/run-server.js'
import {run, runJson} from './helpers.js'
import {spawnC1m, stopChild} from './spawn-c1m.js'

/** Start `c1m server` as its own process and wait for the line naming its addresses. */
async function startServer(args: string[]): Promise<{endpoints: string[]; stop: () => Promise<{code: number | null; json: {result: ServerRunResult}}>}> {
  const server = await spawnC1m(['server', '--port', '0', '--interval', '200ms', '--json', ...args], {waitFor: /listening on ([\d.: ]+) \(/})
  return {
    endpoints: server.match[1].trim().split(' '),
    async stop() {
      const code = await stopChild(server)
      return {code, json: JSON.parse(server.output.stdout)}
    },
  }
}

describe('c1m server and c1m client', () => {
  it('serve and open connections across two workers, then stop cleanly on Ctrl-C', async () => {
    const server = await startServer(['--workers', '2'])
    let stopped: Awaited<ReturnType<typeof server.stop>> | undefined
    try {
      assert.equal(server.endpoints.length, 2)
      // --port 0 gives each worker its own kernel-chosen port: point the client at both.
      const results: ClientRunResult[] = []
      for (const endpoint of server.endpoints) {
        const {envelope, exitCode} = await runJson<ClientRunResult>(['client', '--target', endpoint, '--conns', '1500', '--steps', '3'])
        assert.equal(exitCode, 0)
        results.push(envelope.result)
      }
      for (const result of results) {
        assert.equal(result.established, 1500)
        assert.equal(result.failed, 0)
        assert.deepEqual(result.echo, {sent: 1500, echoed: 1500, mismatched: 0, closed: 0, firstBytes: ''})
      }
    } finally {
      stopped = await server.stop()
    }
    assert.equal(stopped.code, 0)
    assert.equal(stopped.json.result.accepted, 3000)
    assert.equal(stopped.json.result.rejected, 0)
    assert.equal(stopped.json.result.bytesEchoed, 3000 * 16)
  })

  it('share one port between workers with --reuse-port, more connections than one worker may hold', async () => {
    const server = await startServer(['--workers', '2', '--reuse-port'])
    let stopped: Awaited<ReturnType<typeof server.stop>> | undefined
    try {
      assert.equal(server.endpoints.length, 1)
      const {envelope, exitCode} = await runJson<ClientRunResult>(['client', '--target', server.endpoints[0], '--conns', '25k', '--steps', '2'])
      assert.equal(exitCode, 0)
      assert.deepEqual([envelope.result.established, envelope.result.echo?.echoed], [25_000, 25_000])
    } finally {
      stopped = await server.stop()
    }
    assert.equal(stopped.json.result.pids.length, 2)
    assert.equal(stopped.json.result.accepted, 25_000)
    assert.equal(stopped.json.result.rejected, 0)
  })

  it('holds the connections for --hold before releasing them', async () => {
    const server = await startServer(['--engine', 'node'])
    try {
      const started = Date.now()
      const {envelope, exitCode} = await runJson<ClientRunResult>(['client', '--target', server.endpoints[0], '--conns', '500', '--engine', 'node', '--hold', '700ms'])
      assert.equal(exitCode, 0)
      assert.ok(envelope.result.heldSeconds >= 0.69, `held ${envelope.result.heldSeconds}`)
      assert.ok(Date.now() - started >= 700)
      assert.equal(envelope.result.established, 500)
    } finally {
      const stopped = await server.stop()
      assert.equal(stopped.json.result.peakOpen, 500)
    }
  })

  it('exits 10 with the connect error when nothing listens', async () => {
    const {envelope, exitCode} = await runJson<ClientRunResult>(['client', '--target', '127.0.0.1:1', '--conns', '200'])
    assert.equal(exitCode, 10)
    assert.equal(envelope.result.established, 0)
    assert.match(envelope.result.error, /refused/)
    assert.equal(envelope.error?.code, 'E_PROBE_FAILED')
    assert.match(envelope.error!.message, /opened 0 of 200 connections/)
  })

  it('refuses bad flags with exit 2', async () => {
    for (const args of [
      ['client', '--target', 'localhost:9000', '--conns', '10'],
      ['client', '--target', '127.0.0.1:9000', '--conns', '0'],
      ['client', '--target', '127.0.0.1:9000', '--conns', '10', '--source', 'eth0'],
      ['client', '--target', '127.0.0.1:9000', '--conns', '10', '--source-ports', '9-3'],
      ['client', '--target', '10.0.0.1:9000', '--conns', '100k', '--source', '10.0.0.5'],
      ['server', '--host', '::1'],
      ['server', '--port', '65535', '--workers', '2'],
      ['server', '--engine', 'node', '--reuse-port'],
    ]) {
      const {envelope, exitCode} = await runJson([...args])
      assert.equal(exitCode, 2, args.join(' '))
      assert.equal(envelope.error?.code, 'E_USAGE', args.join(' '))
    }
  })
})

describe('c1m client --shard I/K', () => {
  it('two shards at once to one server: each its share of N from its own slice of ports, none colliding', async () => {
    const server = await startServer(['--workers', '1'])
    let stopped: Awaited<ReturnType<typeof server.stop>> | undefined
    type Sharded = ClientRunResult & {shard: {index: number; count: number; conns: number; ports: [number, number]}}
    try {
      const args = (i: number) => ['client', '--target', server.endpoints[0], '--conns', '3001', '--steps', '2', '--shard', `${i}/2`, '--source-ports', '20000-29999']
      // Both at once: were their ports not disjoint, binds on 127.1.0.1 would collide (EADDRINUSE)
      const [one, two] = await Promise.all([runJson<Sharded>(args(1)), runJson<Sharded>(args(2))])
      const files = [one, two].map((r, i) => {
        const file = path.join(os.tmpdir(), `c1m-shard-${process.pid}-${i + 1}.json`)
        writeFileSync(file, JSON.stringify(r.envelope))
        return file
      })
      try {
        // probe --merge: the two hosts as one run
        const merged = await runJson<{established: number; conns: number; echo: {echoed: number}; complete: boolean; missingShards: number[]}>(['probe', '--merge', ...files])
        assert.equal(merged.exitCode, 0, merged.stderr)
        assert.deepEqual([merged.envelope.result.conns, merged.envelope.result.established, merged.envelope.result.echo.echoed, merged.envelope.result.complete], [3001, 3001, 3001, true])
        const partial = await run(['probe', '--merge', files[0]])
        assert.equal(partial.exitCode, 10)
        assert.match(partial.stdout, /no result for shard 2/)
        const copy = `${files[0]}.copy.json`
        copyFileSync(files[0], copy)
        const twice = await run(['probe', '--merge', files[0], copy])
        rmSync(copy)
        assert.equal(twice.exitCode, 2)
        assert.match(twice.stderr, /are both shard 1/)
      } finally {
        for (const file of files) rmSync(file, {force: true})
      }
      assert.equal(one.exitCode, 0, one.stderr)
      assert.equal(two.exitCode, 0, two.stderr)
      assert.deepEqual(one.envelope.result.shard, {index: 1, count: 2, conns: 1501, ports: [20_000, 24_999]})
      assert.deepEqual(two.envelope.result.shard, {index: 2, count: 2, conns: 1500, ports: [25_000, 29_999]})
      for (const {envelope} of [one, two]) {
        assert.equal(envelope.result.established, envelope.result.shard.conns)
        assert.equal(envelope.result.addrInUse, 0)
        assert.equal(envelope.result.echo?.echoed, envelope.result.shard.conns)
      }
    } finally {
      stopped = await server.stop()
    }
    assert.equal(stopped.json.result.accepted, 3001)
  })

  it('probe --merge refuses a file that is not a client result, in one line', async () => {
    const file = path.join(os.tmpdir(), `c1m-notclient-${process.pid}.json`)
    writeFileSync(file, JSON.stringify({status: 0, result: {schema: 'c1m.doctor/1'}}))
    try {
      const {exitCode, stderr} = await run(['probe', '--merge', file])
      assert.equal(exitCode, 2)
      assert.match(stderr, /is not a c1m client result: schema is "c1m\.doctor\/1", not c1m\.client\/1.*\[E_BAD_REPORT, exit 2\]$/)
    } finally {
      rmSync(file, {force: true})
    }
  })

  it('refuses a shard outside 1..K and a split finer than the port range, in one line', async () => {
    for (const [shard, ports, message] of [['3/2', '1024-65535', /--shard must be I\/K with 1 <= I <= K, such as 2\/8, got "3\/2"/], ['0/4', '1024-65535', /got "0\/4"/], ['2/20', '1000-1009', /10 source ports cannot be split 20 ways/]] as const) {
      const {exitCode, stderr} = await run(['client', '--target', '127.0.0.1:9', '--conns', '100', '--shard', shard, '--source-ports', ports])
      assert.equal(exitCode, 2, stderr)
      assert.match(stderr, message)
      assert.equal(stderr.trim().split('\n').length, 1)
    }
  })
})
