import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {DoctorReport} from '../src/core/doctor/run-doctor.js'
import {run, runJson} from './helpers.js'

const proc = (key: string) => readFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, 'utf8').trim().split(/\s+/).map(Number)
const fmt = (n: number) => n.toLocaleString('en-US')

describe('c1m doctor on this host (read-only)', () => {
  let report: DoctorReport
  before(async () => {
    const {envelope, exitCode} = await runJson<DoctorReport>(['doctor', '--role', 'loopback', '--fail-on', 'none'])
    assert.equal(exitCode, 0)
    report = envelope.result
  })
  const result = (id: string) => report.results.find((r) => r.id === id)!

  it('reports the sysctl values /proc holds now', () => {
    assert.equal(result('fd.file-max').current, fmt(proc('fs.file-max')[0]))
    assert.equal(result('fd.nr-open').current, fmt(proc('fs.nr_open')[0]))
    assert.equal(result('accept.somaxconn').current, fmt(proc('net.core.somaxconn')[0]))
    assert.equal(result('accept.syn-backlog').current, fmt(proc('net.ipv4.tcp_max_syn_backlog')[0]))
    const [lo, hi] = proc('net.ipv4.ip_local_port_range')
    assert.ok(result('ports.range').current!.startsWith(`${lo}-${hi} `))
    const [, pressure, max] = proc('net.ipv4.tcp_mem')
    assert.ok(result('tcpmem.limit').current!.startsWith(`pressure ${fmt(pressure)}, max ${fmt(max)} pages`))
    assert.equal(result('timewait.netdev-backlog').current, fmt(proc('net.core.netdev_max_backlog')[0]))
  })
  it('reports the nofile limits of the process that ran it', () => {
    const limits = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!
    const [soft, hard] = limits.slice('Max open files'.length).trim().split(/\s+/).map(Number)
    assert.equal(result('fd.nofile-hard').current, fmt(hard))
    assert.equal(result('fd.nofile-soft').current, fmt(soft))
  })
  it('says whether the hard nofile limit can be raised here', () => {
    const capEff = readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\s*(\w+)/m)![1]
    const canRaise = ((BigInt(`0x${capEff}`) >> 24n) & 1n) === 1n
    const r = result('fd.nofile-hard')
    if (r.status === 'fail') assert.match(r.reason!, canRaise ? /can raise it/ : /cannot be raised here/)
    else assert.equal(r.status, 'pass')
  })
  it('costs a socket from this host\'s slab object sizes when slabinfo is readable', () => {
    let readable = true
    try {
      readFileSync('/proc/slabinfo')
    } catch {
      readable = false
    }
    assert.match(result('ram.connections').needed!, readable ? /from this host's \/proc\/slabinfo/ : /defaults measured/)
  })
})

describe('c1m doctor --pid on a real listener', () => {
  let server: net.Server
  before(async () => {
    server = net.createServer()
    await new Promise<void>((resolve) => server.listen({host: '127.0.0.1', port: 0, backlog: 300}, resolve))
  })
  after(() => server.close())

  it('reads the backlog the listening socket got', async () => {
    const port = (server.address() as net.AddressInfo).port
    const {envelope} = await runJson<DoctorReport>(['doctor', '--pid', String(process.pid)])
    const r = envelope.result.results.find((x) => x.id === 'accept.listen-backlog')!
    const somaxconn = proc('net.core.somaxconn')[0]
    assert.equal(envelope.result.host.pid, process.pid)
    assert.equal(r.current, `127.0.0.1:${port} ${Math.min(300, somaxconn)}`)
    assert.equal(r.status, 'warn', 'a backlog of 300 is below what a million connections need')
  })
})

describe('c1m snapshot', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-snap-'))
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('saves a tree that doctor audits the same as the live host', async () => {
    const out = path.join(dir, 'host')
    const saved = await runJson<{files: number}>(['snapshot', out])
    assert.equal(saved.exitCode, 0)
    assert.ok(saved.envelope.result.files > 100)
    const live = (await runJson<DoctorReport>(['doctor', '--role', 'client'])).envelope.result
    const copy = (await runJson<DoctorReport>(['doctor', '--role', 'client', '--root', out])).envelope.result
    assert.equal(copy.host.live, false)
    const stable = ['fd.file-max', 'fd.nr-open', 'fd.nofile-hard', 'accept.somaxconn', 'ports.range', 'ports.sources', 'conntrack.max', 'tcpmem.limit', 'hygiene.unknown-keys']
    for (const id of stable) {
      const a = live.results.find((r) => r.id === id)!
      const b = copy.results.find((r) => r.id === id)!
      assert.deepEqual([b.status, b.current], [a.status, a.current], id)
    }
  })
  it('without a directory: one line naming the missing argument, exit 2', async () => {
    const {stderr, exitCode} = await run(['snapshot'])
    assert.equal(exitCode, 2)
    assert.equal(stderr.trim().split('\n').length, 1)
    assert.match(stderr, /^c1m: Missing 1 required arg: dir new directory to write the host tree into; see c1m snapshot --help \[E_USAGE, exit 2\]/)
  })
  it('refuses a directory that is not empty, and writes nothing', async () => {
    const {stderr, exitCode} = await run(['snapshot', path.join(dir, 'host')])
    assert.equal(exitCode, 2)
    assert.match(stderr, /already exists and is not empty/)
  })
})
