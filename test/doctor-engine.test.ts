import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {CheckResult} from '../src/core/doctor/check.js'
import {type DoctorReport, failOnExit, findFirstBreak, runDoctor} from '../src/core/doctor/run-doctor.js'
import type {Role} from '../src/core/needs.js'
import {readHost} from '../src/host/read/read-host.js'
import {hostRoot} from '../src/host/files/root.js'
import {FIXTURES} from './helpers.js'

async function audit(fixture: string, role: Role = 'server', conns = 1_000_000, skip: string[] = []): Promise<DoctorReport> {
  const host = await readHost(hostRoot(path.join(FIXTURES, fixture)), {addresses: role === 'client'})
  return runDoctor(host, {conns, role}, {skip, now: new Date('2026-11-22T00:00:00Z')})
}

function byId(report: DoctorReport): Record<string, CheckResult> {
  return Object.fromEntries(report.results.map((r) => [r.id, r]))
}

describe('doctor on a stock modern host (Linux 6.18, 24 GiB, user shell)', () => {
  it('passes the system-wide file limit and RAM but not the per-process limit', async () => {
    const r = byId(await audit('stock-modern'))
    assert.equal(r['fd.file-max'].status, 'pass')
    assert.equal(r['fd.file-max'].current, '2,470,372')
    assert.equal(r['fd.nr-open'].status, 'pass')
    assert.equal(r['fd.nofile-hard'].status, 'fail')
    assert.match(r['fd.nofile-hard'].reason!, /not root and lacks CAP_SYS_RESOURCE/)
    assert.equal(r['ram.connections'].status, 'pass')
    assert.equal(r['accept.somaxconn'].status, 'warn')
    assert.equal(r['accept.somaxconn'].current, '4,096')
  })
  it('reports conntrack as loaded but idle: a warning, not a failure', async () => {
    const r = byId(await audit('stock-modern'))
    assert.equal(r['conntrack.max'].status, 'warn')
    assert.match(r['conntrack.max'].reason!, /tracking nothing now/)
  })
  it('skips what does not apply to the role, with the reason', async () => {
    const r = byId(await audit('stock-modern'))
    assert.equal(r['ports.sources'].status, 'skip')
    assert.match(r['ports.sources'].reason!, /server accepts/)
    assert.equal(r['timewait.reuse'].status, 'skip')
  })
  it('for a client, counts the source addresses N needs from the port range', async () => {
    const r = byId(await audit('stock-modern', 'client'))
    assert.equal(r['ports.sources'].status, 'fail')
    assert.match(r['ports.sources'].needed!, /^36 source addresses \(28,232 ports each\)/)
    assert.match(r['ports.sources'].fix!, /^for ip in 192\.0\.2\.11 192\.0\.2\.12 .* 192\.0\.2\.45; do ip addr add \$ip\/24 dev eth0; done$/)
    assert.equal(r['ports.sources'].breaksAt, 28_232)
    assert.equal(r['ports.range'].status, 'warn')
  })
  it('on loopback needs no aliases: 127.0.0.0/8 is usable as it is', async () => {
    const r = byId(await audit('stock-modern', 'loopback'))
    assert.equal(r['ports.sources'].status, 'pass')
    assert.match(r['ports.sources'].needed!, /36 source addresses \(127\.0\.0\.1-127\.0\.0\.36\)/)
    assert.equal(r['timewait.reuse'].status, 'pass', 'tw_reuse=2 covers loopback')
  })
  it('is ready for fewer connections than its limits', async () => {
    const report = await audit('stock-modern', 'server', 5000)
    const r = byId(report)
    assert.equal(r['fd.nofile-hard'].status, 'pass')
    assert.equal(r['accept.somaxconn'].status, 'pass')
    assert.equal(report.summary.fail, 0)
  })
})

describe('doctor on a 2008-era host', () => {
  it('fails the limits the 2008 article had to raise', async () => {
    const r = byId(await audit('host-2008', 'client'))
    for (const id of ['fd.file-max', 'fd.nofile-hard', 'accept.somaxconn', 'conntrack.max', 'ram.connections', 'ports.sources']) {
      assert.equal(r[id].status, 'fail', id)
    }
    assert.equal(r['accept.somaxconn'].current, '128')
    assert.equal(r['tcpmem.limit'].breaksAt, 196_608)
    assert.equal(r['ports.range'].current, '32768-61000 (28,233 ports per tuple)')
  })
  it('finds removed and renamed keys, and a value overridden by a later file', async () => {
    const r = byId(await audit('host-2008'))
    assert.equal(r['hygiene.unknown-keys'].status, 'warn')
    assert.match(r['hygiene.unknown-keys'].current!, /net\.ipv4\.tcp_tw_recycle \(\/etc\/sysctl\.conf:2\): removed in Linux 4\.12/)
    assert.match(r['hygiene.unknown-keys'].current!, /net\.ipv4\.netfilter\.ip_conntrack_max \(\/etc\/sysctl\.conf:3\) is the old name of net\.netfilter\.nf_conntrack_max/)
    assert.equal(r['hygiene.overrides'].status, 'warn')
    assert.match(r['hygiene.overrides'].current!, /net\.core\.somaxconn: 1024 \(\/etc\/sysctl\.d\/10-network\.conf:1\) then 128 \(\/etc\/sysctl\.conf:4\); 128 wins/)
  })
  it('counts kernel log symptoms and when they were last seen', async () => {
    const r = byId(await audit('host-2008'))
    assert.equal(r['symptoms.tcp-oom'].status, 'warn')
    assert.equal(r['symptoms.tcp-oom'].current, '2 times, last 7200 s after boot')
    assert.equal(r['symptoms.conntrack-full'].current, '1 time, last 7300 s after boot')
    assert.equal(r['symptoms.syn-flood'].status, 'pass')
  })
  it('names the first limit reached on the way to N', async () => {
    const report = await audit('host-2008', 'client')
    assert.equal(report.firstBreak?.id, 'fd.nofile-hard')
    assert.equal(report.firstBreak?.breaksAt, 960)
  })
})

describe('doctor on a host tuned for 1M', () => {
  it('passes every check that applies, for server and client', async () => {
    for (const role of ['server', 'client'] as Role[]) {
      const report = await audit('tuned-1m', role)
      const bad = report.results.filter((x) => x.status === 'fail' || x.status === 'warn')
      assert.deepEqual(bad.map((x) => x.id), [], role)
      assert.equal(report.firstBreak, null)
      assert.equal(failOnExit(report, 'warn'), 0)
    }
  })
  it('still fails at ten times the target', async () => {
    const report = await audit('tuned-1m', 'server', 10_000_000)
    assert.ok(report.summary.fail > 0)
    assert.equal(failOnExit(report, 'fail'), 1)
  })
})

describe('doctor in a container with a capped hard nofile', () => {
  it('says plainly that root cannot raise it here, and how to shard', async () => {
    const r = byId(await audit('container-capped'))
    assert.equal(r['fd.nofile-hard'].status, 'fail')
    assert.equal(r['fd.nofile-hard'].current, '20,000')
    assert.match(r['fd.nofile-hard'].reason!, /cannot be raised here: it runs as root but without CAP_SYS_RESOURCE/)
    assert.match(r['fd.nofile-hard'].reason!, /53 processes of at most 18,976 each/)
  })
  it('falls back to documented socket costs when slabinfo is missing', async () => {
    const r = byId(await audit('container-capped'))
    assert.equal(r['ram.connections'].status, 'pass')
    assert.match(r['ram.connections'].needed!, /defaults measured on Linux 6\.18/)
  })
})

describe('engine', () => {
  it('waives checks named with skip', async () => {
    const r = byId(await audit('host-2008', 'server', 1_000_000, ['fd.file-max']))
    assert.equal(r['fd.file-max'].status, 'skip')
    assert.equal(r['fd.file-max'].reason, 'waived with --skip')
  })
  it('turns a missing file into a skip with the reason, never a crash', async () => {
    const report = await audit('empty-tree')
    assert.equal(report.summary.fail + report.summary.warn + report.summary.pass, 0)
    const r = byId(report)
    assert.match(r['fd.file-max'].reason!, /\/proc\/sys\/fs\/file-max: not present/)
    assert.match(r['ram.connections'].reason!, /meminfo/)
  })
  it('ranks failures before warnings, fewest connections first', () => {
    const mk = (id: string, status: CheckResult['status'], breaksAt?: number) => ({id, status, breaksAt, area: 'files', title: id, reads: [], why: ''}) as CheckResult
    assert.equal(findFirstBreak([mk('a', 'warn', 10), mk('b', 'fail', 500), mk('c', 'fail', 100)])?.id, 'c')
    assert.equal(findFirstBreak([mk('a', 'warn'), mk('b', 'warn', 900)])?.id, 'b')
    assert.equal(findFirstBreak([mk('a', 'pass', 1)]), null)
  })
})
