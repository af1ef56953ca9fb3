import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {computeNeeds, IPV6_NEIGH_THRESH, sourceAddressesNeeded, PORTS_MAX, tcpMemPages} from '../src/core/needs.js'
import {resolveProfile} from '../src/core/profile/resolve-profile.js'
import type {Profile} from '../src/core/profile/types.js'
import {listProfileNames, readProfile} from '../src/host/read/profile-files.js'
import {sysctlPath} from '../src/host/read/sysctl.js'
import {REPO_ROOT, SANDBOX_MEM_TOTAL} from './sandbox-tree.js'

const SEEDS = path.resolve(REPO_ROOT, '../shared/seeds')
const haveSeeds = existsSync(SEEDS)
const DOCUMENT_PROFILES = ['mochiweb-part1', 'mochiweb-part3', 'phoenix-websocket', 'go-1m-epoll', 'linkedin-im', 'node-250k']

/** The document text with quotes dropped and whitespace collapsed, so `a   b` and 'k=v' compare plainly. */
function documentText(file: string): string {
  return readFileSync(path.join(SEEDS, file), 'utf8').replaceAll(/["'“”″]/g, '').replaceAll(/\s+/g, ' ')
}

/**
 * The ways the documents write a sysctl: `k = v`, `k=v` (sysctl -w), `/proc/sys/k/path=v`, `echo v
 * > /proc/sys/k/path`.
 */
function documentSetsSysctl(text: string, key: string, value: string): boolean {
  const p = sysctlPath(key)
  return [`${key} = ${value}`, `${key}=${value}`, `${p}=${value}`, `${value} > ${p}`].some((form) => text.includes(form))
}

function documentSetsNofile(text: string, type: string, value: string): boolean {
  const lower = text.toLowerCase()
  const ulimit = type === 'soft' ? `ulimit -sn ${value}` : `ulimit -hn ${value}`
  return [`${type} nofile ${value}`, `ulimit -n ${value}`, ulimit].some((form) => lower.includes(form))
}

function load(name: string): Profile {
  return readProfile(name)
}

describe('shipped profiles', () => {
  it('ships one profile per tuning set in the documents, and million', () => {
    assert.deepEqual(listProfileNames(), [...DOCUMENT_PROFILES, 'million'].sort())
  })

  for (const name of [...DOCUMENT_PROFILES, 'million']) {
    it(`${name} loads and every value names its source`, () => {
      const p = load(name)
      assert.equal(p.name, name)
      assert.ok(p.values.length > 0)
      for (const v of p.values) {
        assert.ok(v.source.file, `${v.id} has no source file`)
        assert.ok(v.source.section.length > 3, `${v.id} has no section`)
        assert.match(v.source.at, /^profiles\/[\w-]+\.yaml:\d+$/, `${v.id} does not say where in the profile it is`)
        assert.ok(v.value !== undefined || (v.compute && v.formula), `${v.id} has neither a value nor a formula`)
      }
    })
  }

  describe('values match the documents', {skip: haveSeeds ? false : `the seed documents are not at ${SEEDS}`}, () => {
    for (const name of DOCUMENT_PROFILES) {
      it(`${name}: every published sysctl and nofile value is in its document, in the section named`, () => {
        const p = load(name)
        let checked = 0
        for (const v of p.values) {
          const text = documentText(v.source.file)
          const heading = v.source.section.replace(/^Part \d+: /, '').split(' (')[0]
          assert.ok(text.includes(heading), `${v.id}: section "${heading}" is not in ${v.source.file}`)
          if (v.kind === 'sysctl' && v.source.note?.includes('gives no sysctl value')) continue
          // c1m's own value (the IPv6 way to the document's tuning): marked, so not the document's
          if (v.source.own) continue
          assert.ok(!v.key.startsWith('net.ipv6.'), `${v.id} is IPv6 and not marked own:`)
          if (v.kind === 'sysctl') assert.ok(documentSetsSysctl(text, v.key, v.value!), `${v.id} = ${v.value} is not in ${v.source.file}`)
          if (v.kind === 'nofile') assert.ok(documentSetsNofile(text, v.key, v.value!), `nofile ${v.key} ${v.value} is not in ${v.source.file}`)
          checked++
        }
        assert.ok(checked >= 2, `only ${checked} values checked`)
      })
    }

    it('spot-checks: values as the documents print them', () => {
      const value = (profile: string, id: string) => load(profile).values.find((v) => v.id === id)?.value
      const expected: Record<string, Record<string, string>> = {
        'mochiweb-part1': {'sysctl net.ipv4.tcp_mem': '50576 64768 98152', 'sysctl net.ipv4.netfilter.ip_conntrack_max': '1048576', 'nofile hard': '999999', 'sysctl net.ipv4.ip_local_port_range': '1024 65535'},
        // part 3 overrides part 1 where it changed a value, keeps part 1's others
        'mochiweb-part3': {'sysctl net.ipv4.tcp_mem': '786432 1048576 26777216', 'sysctl net.ipv4.tcp_max_tw_buckets': '360000', 'sysctl net.ipv4.tcp_syncookies': '1', 'addresses count': '17'},
        'phoenix-websocket': {'sysctl fs.nr_open': '10000000', 'sysctl net.core.somaxconn': '15000', 'sysctl net.ipv4.tcp_mem': '10240 87380 12582912'},
        'go-1m-epoll': {'sysctl fs.file-max': '2000500', 'sysctl net.nf_conntrack_max': '2000500', 'sysctl net.ipv4.tcp_tw_recycle': '1', 'nofile soft': '2000500'},
        'linkedin-im': {'nofile soft': '200000', 'sysctl net.core.somaxconn': '1024'},
        'node-250k': {'sysctl net.ipv4.tcp_rmem': '4096 16384 33554432', 'nofile hard': '999999'},
      }
      for (const [profile, values] of Object.entries(expected)) {
        for (const [id, want] of Object.entries(values)) assert.equal(value(profile, id), want, `${profile}: ${id}`)
      }
      assert.ok(documentText('000_c07855e9a9493bd3.txt').includes('bring up 17 new IP addresses'))
      assert.ok(documentText('003_b085db01269d850e.txt').includes('play.server.netty.option.backlog=1024'))
    })
  })

  it('mochiweb-part3 merges part 1 first, then itself, each value keeping its own source', () => {
    const p = load('mochiweb-part3')
    assert.deepEqual(p.chain, ['mochiweb-part1', 'mochiweb-part3'])
    const mem = p.values.find((v) => v.id === 'sysctl net.ipv4.tcp_mem')!
    assert.equal(mem.source.profile, 'mochiweb-part3')
    const syn = p.values.find((v) => v.id === 'sysctl net.ipv4.tcp_syncookies')!
    assert.equal(syn.source.profile, 'mochiweb-part1')
    assert.match(syn.source.at, /^profiles\/mochiweb-part1\.yaml:/)
  })

  it('node-250k gives the port range to clients and TCP memory to the server', () => {
    const p = load('node-250k')
    const server = resolveProfile(p, {conns: 250_000, role: 'server'}).map((v) => v.key)
    const client = resolveProfile(p, {conns: 250_000, role: 'client'}).map((v) => v.key)
    assert.ok(server.includes('net.ipv4.tcp_mem') && !server.includes('net.ipv4.ip_local_port_range'))
    assert.ok(client.includes('net.ipv4.ip_local_port_range') && !client.includes('net.ipv4.tcp_mem'))
  })

  it('million computes its values from the c1m model, the connection count and RAM', () => {
    const p = load('million')
    for (const v of p.values) assert.ok(v.formula, `${v.id} does not document its formula`)
    const server = Object.fromEntries(resolveProfile(p, {conns: 2_000_000, role: 'server', memTotal: SANDBOX_MEM_TOTAL}).map((v) => [v.id, v.value]))
    const needs = computeNeeds({conns: 2_000_000, role: 'server'})
    assert.equal(server['sysctl fs.file-max'], String(needs.fileMax))
    assert.equal(server['sysctl fs.nr_open'], String(needs.nrOpen))
    assert.equal(server['sysctl net.core.somaxconn'], String(needs.somaxconn))
    assert.equal(server['sysctl net.netfilter.nf_conntrack_buckets'], String(needs.conntrackBuckets))
    assert.equal(server['nofile hard'], String(needs.nofile))
    assert.equal(server['systemd DefaultLimitNOFILE'], String(needs.nofile))
    assert.equal(server['sysctl net.ipv6.neigh.default.gc_thresh3'], undefined, 'IPv6 values only with family 6')
    const six = Object.fromEntries(resolveProfile(p, {conns: 2_000_000, role: 'client', family: 6, memTotal: SANDBOX_MEM_TOTAL}).map((v) => [v.id, v.value]))
    assert.deepEqual([1, 2, 3].map((n) => six[`sysctl net.ipv6.neigh.default.gc_thresh${n}`]), IPV6_NEIGH_THRESH.map(String))
    assert.equal(six['sysctl net.ipv6.ip_nonlocal_bind'], '1')
    // 2M sockets with a page each need more than 3/16 of 24 GiB: max is one page a socket (doctor's rule).
    assert.equal(server['sysctl net.ipv4.tcp_mem'], '1000000 1500000 2000000')
    const small = Object.fromEntries(resolveProfile(p, {conns: 500_000, role: 'server', memTotal: SANDBOX_MEM_TOTAL}).map((v) => [v.id, v.value]))
    assert.equal(small['sysctl net.ipv4.tcp_mem'], tcpMemPages(SANDBOX_MEM_TOTAL).join(' '), 'below that, the RAM share')
    assert.equal(server['sysctl net.ipv4.ip_local_port_range'], undefined, 'a server needs no client port range')
    assert.equal(server['addresses count'], undefined)
    for (const key of ['net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem', 'net.core.rmem_max', 'net.ipv4.tcp_tw_recycle']) {
      assert.ok(!(`sysctl ${key}` in server), `million must leave ${key} alone`)
    }
    const client = Object.fromEntries(resolveProfile(p, {conns: 2_000_000, role: 'client', memTotal: SANDBOX_MEM_TOTAL}).map((v) => [v.id, v.value]))
    assert.equal(client['sysctl net.ipv4.ip_local_port_range'], '1024 65535')
    assert.equal(client['addresses count'], String(sourceAddressesNeeded(2_000_000, PORTS_MAX)))
    assert.equal(client['addresses count'], '32')
    assert.equal(client['sysctl net.core.somaxconn'], undefined)
  })
})

describe('tcpMemPages', () => {
  it('is [3/32, 1/8, 3/16] of RAM in 4 KiB pages', () => {
    // 24 GiB = 6291456 pages; 1/8 = 786432
    assert.deepEqual(tcpMemPages(24 * 1024 ** 3), [589824, 786432, 1179648])
    const [min, pressure, max] = tcpMemPages(2 * 1024 ** 3)
    assert.ok(min < pressure && pressure < max)
    assert.equal(max * 4096, (2 * 1024 ** 3 * 3) / 16)
  })
})
