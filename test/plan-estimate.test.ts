import assert from 'node:assert/strict'
import path from 'node:path'
import {before, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {defaultMinFreeBytes, memoryInputForHost} from '../src/core/estimate/memory-input.js'
import {estimateMemory} from '../src/core/estimate/memory-model.js'
import {computeNeeds, tcpMemPages} from '../src/core/needs.js'
import {type EstimateRequest, planEstimate} from '../src/core/estimate/plan-estimate.js'
import {resolveRuntime} from '../src/core/estimate/resolve-runtime.js'
import {modelSocketKernel} from '../src/core/estimate/model-socket-kernel.js'
import {readHost} from '../src/host/read/read-host.js'
import {hostRoot} from '../src/host/files/root.js'
import type {HostSnapshot} from '../src/core/host-snapshot.js'

const here = path.dirname(fileURLToPath(import.meta.url))
export const FIXTURE_HOST = path.resolve(here, '../../test/fixtures/estimate-host')

let host: HostSnapshot
const plan = (over: Partial<EstimateRequest>) =>
  planEstimate({conns: 100_000, role: 'server', host, runtime: resolveRuntime({}), ...over})

describe('planEstimate', () => {
  before(async () => {
    host = await readHost(hostRoot(FIXTURE_HOST))
  })

  it('takes the kernel figure from the host slabinfo and the default runtime', () => {
    const r = plan({})
    assert.equal(r.kernel.source, 'slabinfo')
    assert.equal(r.kernel.bytesPerSocket, modelSocketKernel(host.memory.slab, host.sysctl['kernel.osrelease']).bytesPerSocket)
    assert.ok(r.range!.low < r.memory.total && r.memory.total <= r.range!.high)
    assert.equal(r.runtime.name, 'libevent')
    assert.equal(r.memory.perConn, r.kernel.bytesPerSocket + 2048)
  })

  it('loopback counts both sockets, the bind entries and both processes', () => {
    const r = plan({role: 'loopback'})
    const terms = Object.fromEntries(r.memory.terms.map((t) => [t.name, t.perConn]))
    assert.equal(terms['kernel sockets'], 2 * r.kernel.bytesPerSocket)
    assert.equal(terms['bind entries'], 256)
    assert.equal(terms.process, 4096)
  })

  it('counts conntrack only where the host tracks connections, or when told', () => {
    assert.equal(plan({}).conntrack.counted, false) // the fixture's nf_conntrack_count is 0
    const tracking = {...host, sysctl: {...host.sysctl, 'net.netfilter.nf_conntrack_count': '12'}}
    const r = planEstimate({conns: 1000, role: 'server', host: tracking, runtime: resolveRuntime({})})
    assert.equal(r.conntrack.counted, true)
    assert.equal(r.memory.terms.find((t) => t.name === 'conntrack')!.perConn, 256) // 4096 B slab / 16 objects
    assert.equal(plan({conntrack: true}).memory.perConn - plan({conntrack: false}).memory.perConn, 256)
  })

  it('buffers and the connection counts where tcp_mem is reached', () => {
    const r = plan({messageSize: 2048, active: 0.5})
    assert.equal(r.buffers.bytesPerConn, 2048)
    const [, pressure, max] = host.sysctl['net.ipv4.tcp_mem'].split(' ').map(Number)
    assert.equal(r.buffers.pressureAt, Math.floor((pressure * 4096) / 2048))
    assert.equal(r.buffers.maxAt, Math.floor((max * 4096) / 2048))
    assert.deepEqual(r.settings.tcpMemForBuffers, [50_000, 62_500, 75_000])
    // what apply sets for this RAM, raised only where the buffers need more
    assert.deepEqual(r.settings.tcpMemForRam, tcpMemPages(r.ram.bytes))
    assert.deepEqual(r.settings.tcpMem, r.settings.tcpMemForRam)
    const heavy = plan({conns: 1_000_000, messageSize: 16_384, active: 1})
    assert.equal(heavy.settings.tcpMem[2], 1_000_000 * 4 * 1.5)
    assert.equal(plan({}).buffers.pressureAt, null)
  })

  it('fits on this host when the total is under MemTotal; reports the most one host holds', () => {
    const r = plan({})
    assert.equal(r.ram.bytes, host.memory.meminfo!.MemTotal)
    assert.equal(r.fits, true)
    assert.equal(r.maxConnsPerHost, Math.floor((r.ram.bytes - r.memory.fixed) / r.memory.perConn))
    assert.equal(r.hostsNeeded, 1)
  })

  it('on a smaller --ram host: does not fit, and counts the hosts it takes', () => {
    const ram = 4 * 1024 ** 3
    const r = plan({conns: 2_000_000, ramBytes: ram})
    assert.equal(r.fits, false)
    assert.equal(r.ram.source, '--ram')
    assert.equal(r.memory.terms.find((t) => t.name === 'headroom')!.total, defaultMinFreeBytes(ram) + 0.1 * ram)
    assert.equal(r.hostsNeeded, Math.ceil(2_000_000 / r.maxConnsPerHost))
    // each of those hosts really holds its share
    const share = plan({conns: 2_000_000, ramBytes: ram, hosts: r.hostsNeeded!})
    assert.equal(share.fits, true)
    assert.equal(share.connsPerHost, Math.ceil(2_000_000 / r.hostsNeeded!))
  })

  it('settings are the shared needs model for the connections of one host', () => {
    const r = plan({conns: 1_000_000, hosts: 4, role: 'client'})
    assert.equal(r.connsPerHost, 250_000)
    for (const [key, value] of Object.entries(computeNeeds({conns: 250_000, role: 'client'}))) {
      assert.equal(r.settings[key as keyof typeof r.settings], value, key)
    }
    assert.deepEqual(r.settings.portRange, [1024, 65_535])
    assert.equal(r.settings.sourceAddresses, Math.ceil(250_000 / 64_512))
    const [lo, hi] = host.sysctl['net.ipv4.ip_local_port_range'].split(' ').map(Number)
    assert.equal(r.settings.sourceAddressesCurrentRange!.addresses, Math.ceil(250_000 / (hi - lo + 1)))
    assert.equal(plan({}).settings.portRange, undefined)
  })

  it('the chart climbs from the fixed part to the total in even steps', () => {
    const r = plan({conns: 500_000})
    assert.equal(r.chart.length, 11)
    assert.equal(r.chart[0].total, r.memory.fixed)
    assert.equal(r.chart.at(-1)!.conns, 500_000)
    assert.equal(r.chart.at(-1)!.total, r.memory.total)
    for (const p of r.chart) assert.ok(Math.abs(p.fixed + p.kernel + p.process - p.total) < 1e-6)
  })

  it('is estimateMemory over the same input doctor builds (memoryInputForHost)', () => {
    const r = plan({conns: 1_000_000})
    assert.deepEqual(r.memory, estimateMemory(memoryInputForHost(host, {conns: 1_000_000, role: 'server'})))
  })
})
