// doctor, estimate and apply with --family 6: the prefix advice, the neighbour table, the TCPv6
// socket's kernel cost, and the IPv6 keys of the profiles, each checked against this test's own
// reading of the saved tree, this host's /proc, or the sandbox it wrote into.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {ApplyResult} from '../src/commands/apply.js'
import type {CheckResult} from '../src/core/doctor/check.js'
import type {DoctorReport} from '../src/core/doctor/run-doctor.js'
import type {EstimateResult} from '../src/core/estimate/plan-estimate.js'
import {parseProfile} from '../src/core/profile/parse-profile.js'
import {BIN, FIXTURES, run, runCli, runJson} from './helpers.js'
import {makeSandbox, readSandbox, removeSandbox, treeSnapshot} from './sandbox-tree.js'

const TREE = path.join(FIXTURES, 'ipv6-host')

function check(report: DoctorReport, id: string): CheckResult {
  const found = report.results.find((r) => r.id === id)
  assert.ok(found, `no ${id} in the report`)
  return found
}

/** The first column of a /proc/net/stat neighbour file, read here on its own. */
function entriesIn(file: string): number {
  return Number.parseInt(readFileSync(file, 'utf8').split('\n')[1].trim().split(/\s+/)[0], 16)
}

/** A slab cache's objsize, objects per slab and pages per slab from slabinfo text. */
function slabRow(text: string, name: string): {objsize: number; perSlab: number; pages: number} | undefined {
  const line = text.split('\n').find((l) => l.split(/\s+/)[0] === name)
  if (!line) return undefined
  const f = line.split(/\s+/)
  return {objsize: Number(f[3]), perSlab: Number(f[4]), pages: Number(f[5])}
}

describe('doctor --family 6 on a saved IPv6 host', () => {
  it('offers one prefix routed to lo with ip_nonlocal_bind, and the aliases way with addresses of eth0\'s /64', async () => {
    const {envelope, exitCode} = await runJson<DoctorReport>(['doctor', '--root', TREE, '--role', 'client', '--family', '6'])
    assert.equal(exitCode, 1)
    assert.deepEqual(envelope.result.target, {conns: 1_000_000, role: 'client', family: 6})
    const sources = check(envelope.result, 'ports.sources')
    // 32768-60999 in the tree: 28,232 ports a source, 36 sources for 1M; eth0 has one global address
    const range = readFileSync(path.join(TREE, 'proc/sys/net/ipv4/ip_local_port_range'), 'utf8').trim().split(/\s+/).map(Number)
    const needed = Math.ceil(1_000_000 / (range[1] - range[0] + 1))
    assert.equal(sources.status, 'fail')
    assert.equal(sources.needed, `${needed} source addresses (28,232 ports each)`)
    assert.match(sources.current!, /^eth0: 2001:db8:10:1::10\/64; net\.ipv6\.ip_nonlocal_bind 0$/, 'the link-local fe80:: address is no source')
    assert.equal(sources.fix, "ip -6 route add local PREFIX dev lo && sysctl -w net.ipv6.ip_nonlocal_bind=1   # PREFIX: a /64 routed to this host, not eth0's own on-link prefix")
    assert.match(sources.reason!, new RegExp(`^${needed - 1} more source addresses needed: over IPv6 one prefix`))
    assert.match(sources.reason!, /ip -6 route add PREFIX via 2001:db8:10:1::10/)
    assert.match(sources.reason!, /for ip in 2001:db8:10:1::11 2001:db8:10:1::12 2001:db8:10:1::13 \.\.\.; do ip -6 addr add \$ip\/128 dev eth0; done/)
  })

  it('neigh.gc-thresh counts the NDISC entries now and one per source address: pass, then warn past gc_thresh2 at 1M with the aliases added', async () => {
    const now = entriesIn(path.join(TREE, 'proc/net/stat/ndisc_cache'))
    const thresh = [1, 2, 3].map((n) => Number(readFileSync(path.join(TREE, `proc/sys/net/ipv6/neigh/default/gc_thresh${n}`), 'utf8')))
    const before = check((await runJson<DoctorReport>(['doctor', '--root', TREE, '--role', 'client', '--family', '6'])).envelope.result, 'neigh.gc-thresh')
    assert.equal(before.status, 'pass')
    assert.equal(before.current, `gc_thresh ${thresh.join(' ')}; ${now} entries now`)
    assert.match(before.needed!, new RegExp(`^gc_thresh2 >= ${now + 1} entries`))

    // The aliases way: 36 source addresses on eth0, each an entry on the server of the link
    const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-ipv6-tree-'))
    try {
      cpSync(TREE, dir, {recursive: true})
      const saved = JSON.parse(readFileSync(path.join(dir, 'c1m/addresses.json'), 'utf8')) as object[]
      const aliases = Array.from({length: 35}, (_, i) => ({iface: 'eth0', address: `2001:db8:10:1::${(0x11 + i).toString(16)}`, family: 'IPv6', prefix: 128, internal: false}))
      writeFileSync(path.join(dir, 'c1m/addresses.json'), JSON.stringify([...saved, ...aliases]))
      const report = (await runJson<DoctorReport>(['doctor', '--root', dir, '--role', 'client', '--family', '6'])).envelope.result
      assert.equal(check(report, 'ports.sources').status, 'pass', '36 sources hold 1M at 28,232 ports each')
      const after = check(report, 'neigh.gc-thresh')
      const entries = now + 36
      assert.ok(entries > thresh[1] && entries < thresh[2])
      assert.equal(after.status, 'warn')
      assert.match(after.needed!, new RegExp(`^gc_thresh2 >= ${entries} entries: ${now} now \\+ 36 source addresses`))
      assert.equal(after.fix, [1024, 2048, 4096].map((v, i) => `sysctl -w net.ipv6.neigh.default.gc_thresh${i + 1}=${v} && echo 'net.ipv6.neigh.default.gc_thresh${i + 1} = ${v}' >> /etc/sysctl.d/91-c1m-local.conf`).join(' && '))
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('conntrack.max says the count is one table for both families, split as the snapshot saved it', async () => {
    const report = (await runJson<DoctorReport>(['doctor', '--root', TREE, '--family', '6'])).envelope.result
    const count = Number(readFileSync(path.join(TREE, 'proc/sys/net/netfilter/nf_conntrack_count'), 'utf8'))
    const split = JSON.parse(readFileSync(path.join(TREE, 'c1m/conntrack-families.json'), 'utf8')) as {ipv4: number; ipv6: number}
    assert.equal(split.ipv4 + split.ipv6, count)
    const max = check(report, 'conntrack.max')
    assert.equal(max.current, `262,144 (${count} tracked now: ${split.ipv4} IPv4, ${split.ipv6} IPv6)`)
    assert.match(max.why, /^one table for IPv4 and IPv6 alike/)
  })

  it('--family 4 on the same tree checks the ARP table and IPv4 aliases instead', async () => {
    const report = (await runJson<DoctorReport>(['doctor', '--root', TREE, '--role', 'client'])).envelope.result
    assert.equal(report.target.family, 4)
    assert.match(check(report, 'neigh.gc-thresh').current!, new RegExp(`; ${entriesIn(path.join(TREE, 'proc/net/stat/arp_cache'))} entries now$`))
    const sources = check(report, 'ports.sources')
    assert.equal(sources.current, 'no non-loopback IPv4 address')
    assert.match(sources.fix!, /^ip addr add ADDRESS\/PREFIX dev IFACE/)
  })
})

describe('doctor --family 6 on this host', () => {
  it('reads the IPv6 neighbour table and sysctls of this host, and lists its IPv6 sources', async () => {
    const {envelope} = await runJson<DoctorReport>(['doctor', '--role', 'client', '--family', '6', '--fail-on', 'none'])
    const neigh = check(envelope.result, 'neigh.gc-thresh')
    const thresh = [1, 2, 3].map((n) => readFileSync(`/proc/sys/net/ipv6/neigh/default/gc_thresh${n}`, 'utf8').trim())
    assert.match(neigh.current!, new RegExp(`^gc_thresh ${thresh.join(' ')}; \\d+ entries now$`))
    const sources = check(envelope.result, 'ports.sources')
    const nonlocal = readFileSync('/proc/sys/net/ipv6/ip_nonlocal_bind', 'utf8').trim()
    assert.match(sources.current!, new RegExp(`net\\.ipv6\\.ip_nonlocal_bind ${nonlocal}$`))
    // Every global or ULA address `ip` lists on an interface that is up is named
    const listed = execFileSync('ip', ['-6', '-o', 'addr', 'show', 'scope', 'global'], {encoding: 'utf8'})
    for (const line of listed.split('\n').filter(Boolean)) {
      const [, iface, , cidr] = line.split(/\s+/)
      if (iface !== 'lo') assert.ok(sources.current!.includes(cidr), `${cidr} of ${iface} not in ${sources.current}`)
    }
    const ram = check(envelope.result, 'ram.connections')
    assert.match(ram.needed!, /for an IPv6 socket \(TCPv6 slab objects\)/)
  })
})

describe('estimate --family 6', () => {
  it('models the TCPv6 object: larger than TCP by the slab footprint difference this host\'s slabinfo gives', async (t) => {
    let slabinfo: string
    try {
      slabinfo = readFileSync('/proc/slabinfo', 'utf8')
    } catch {
      t.skip('/proc/slabinfo is not readable')
      return
    }
    const v6 = slabRow(slabinfo, 'TCPv6')
    const v4 = slabRow(slabinfo, 'TCP')
    if (!v6 || !v4) {
      t.skip('slabinfo lists no TCPv6 or TCP cache (merged)')
      return
    }
    const four = (await runJson<EstimateResult>(['estimate', '--conns', '100k'])).envelope.result
    const six = (await runJson<EstimateResult>(['estimate', '--conns', '100k', '--family', '6'])).envelope.result
    assert.equal(four.family, 4)
    assert.equal(six.family, 6)
    assert.ok(v6.objsize > v4.objsize, `TCPv6 ${v6.objsize} B, TCP ${v4.objsize} B`)
    assert.deepEqual(six.kernel.ipv4?.objsize, {TCPv6: v6.objsize, TCP: v4.objsize})
    // The socket part holds each object's footprint: pages per slab x 4096 / objects per slab
    const footprint = (r: {perSlab: number; pages: number}) => Math.round((r.pages * 4096) / r.perSlab)
    const socket6 = six.kernel.model!.parts.find((p) => p.name === 'socket')!
    const socket4 = four.kernel.model!.parts.find((p) => p.name === 'socket')!
    assert.equal(socket6.caches.TCPv6, footprint(v6))
    assert.equal(socket4.caches.TCP, footprint(v4))
    assert.equal(socket6.bytes - socket4.bytes, footprint(v6) - footprint(v4))
    // Same objects per slab: the memcg vectors match, so the whole figure differs by the footprints alone
    if (v6.perSlab === v4.perSlab) assert.equal(six.kernel.bytesPerSocket - four.kernel.bytesPerSocket, footprint(v6) - footprint(v4))
    assert.equal(six.kernel.ipv4?.bytesPerSocket, four.kernel.bytesPerSocket)
    const text = await run(['estimate', '--conns', '100k', '--family', '6'])
    assert.match(text.stdout, /^100,000 IPv6 connections, role server/)
    assert.match(text.stdout, new RegExp(`IPv6: a TCPv6 object is ${v6.objsize.toLocaleString('en-US')} B, TCP's ${v4.objsize.toLocaleString('en-US')} B`))
  })

  it('the HTML report (--out FILE.html) names the family where the text does: the heading and the TCPv6 line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-estimate-v6-'))
    try {
      const slabinfo = readFileSync(path.join(TREE, 'proc/slabinfo'), 'utf8')
      const [v6, v4] = [slabRow(slabinfo, 'TCPv6')!, slabRow(slabinfo, 'TCP')!]
      const html = (family: string) => {
        const file = path.join(dir, `estimate-${family}.html`)
        execFileSync('node', [BIN, 'estimate', '--conns', '100k', '--root', TREE, '--family', family, '--out', file], {stdio: 'ignore', env: {...process.env, C1M_PROBE_DIR: 'off'}})
        return readFileSync(file, 'utf8')
      }
      const six = html('6')
      assert.match(six, /<title>c1m estimate: 100,000 IPv6 connections<\/title>/)
      assert.match(six, /<h1>Memory for 100,000 IPv6 connections \(server\)<\/h1>/)
      assert.match(six, new RegExp(`<li>IPv6: a TCPv6 object is ${v6.objsize.toLocaleString('en-US')} B, TCP's ${v4.objsize.toLocaleString('en-US')} B; an IPv4 socket models at [\\d,]+ B here, `))
      // The text report of the same estimate says the same.
      const text = await run(['estimate', '--conns', '100k', '--root', TREE, '--family', '6'])
      assert.match(text.stdout, /^100,000 IPv6 connections, role server/)
      const four = html('4')
      assert.match(four, /<h1>Memory for 100,000 connections \(server\)<\/h1>/)
      assert.doesNotMatch(four, /IPv6|TCPv6/)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('apply --family 6', () => {
  const ipv6Files = {
    'proc/sys/net/ipv6/ip_nonlocal_bind': '0\n',
    'proc/sys/net/ipv6/neigh/default/gc_thresh1': '128\n',
    'proc/sys/net/ipv6/neigh/default/gc_thresh2': '512\n',
    'proc/sys/net/ipv6/neigh/default/gc_thresh3': '1024\n',
  }

  it('writes the million profile\'s IPv6 keys, marked as c1m\'s own, into a sandbox root, and revert puts them back', async () => {
    const dir = makeSandbox(ipv6Files)
    try {
      const before = treeSnapshot(dir)
      const applied = await runCli<ApplyResult>(['apply', '--profile', 'million', '--role', 'client', '--family', '6', '--root', dir, '--yes', '--json'])
      assert.equal(applied.exit, 0, applied.stderr)
      assert.equal(applied.result!.family, 6)
      assert.equal(readSandbox(dir, 'proc/sys/net/ipv6/ip_nonlocal_bind'), '1\n')
      assert.equal(readSandbox(dir, 'proc/sys/net/ipv6/neigh/default/gc_thresh1'), '1024\n')
      assert.equal(readSandbox(dir, 'proc/sys/net/ipv6/neigh/default/gc_thresh2'), '2048\n')
      assert.equal(readSandbox(dir, 'proc/sys/net/ipv6/neigh/default/gc_thresh3'), '4096\n')
      const conf = readSandbox(dir, 'etc/sysctl.d/90-c1m.conf')
      assert.match(conf, /^# c1m's own \(not src\/core\/needs\.ts\): over IPv6 one prefix .*\nnet\.ipv6\.ip_nonlocal_bind = 1$/m)
      const row = applied.result!.plan.find((r) => r.key === 'net.ipv6.ip_nonlocal_bind')!
      assert.match(row.source.own!, /^over IPv6 one prefix routed to this host/)
      const addresses = applied.result!.plan.find((r) => r.kind === 'addresses')!
      assert.equal(addresses.action, 'skip')
      assert.match(addresses.why, /^over IPv6 one prefix routed to this host/)

      const reverted = await runCli(['revert', '--root', dir])
      assert.equal(reverted.exit, 0, reverted.stderr)
      assert.deepEqual(treeSnapshot(dir), before)
    } finally {
      removeSandbox(dir)
    }
  })

  it('doctor --profile million --family 6 finds the IPv6 values after apply; --family 4 skips them', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-ipv6-tree-'))
    try {
      cpSync(TREE, dir, {recursive: true})
      const args = ['--profile', 'million', '--role', 'client', '--root', dir]
      const ids = ['profile.net.ipv6.ip_nonlocal_bind', 'profile.net.ipv6.neigh.default.gc_thresh3']
      const before = (await runJson<DoctorReport>(['doctor', ...args, '--family', '6', '--fail-on', 'none'])).envelope.result
      assert.deepEqual(ids.map((id) => check(before, id).status), ['fail', 'fail'])
      assert.equal(check(before, 'profile.net.ipv6.ip_nonlocal_bind').fix, "sysctl -w net.ipv6.ip_nonlocal_bind=1 && echo 'net.ipv6.ip_nonlocal_bind = 1' >> /etc/sysctl.d/91-c1m-local.conf")
      assert.equal((await runCli(['apply', ...args, '--family', '6', '--yes'])).exit, 0)
      const after = (await runJson<DoctorReport>(['doctor', ...args, '--family', '6', '--fail-on', 'none'])).envelope.result
      assert.deepEqual(ids.map((id) => check(after, id).status), ['pass', 'pass'])
      assert.equal(check(after, 'profile.net.ipv6.neigh.default.gc_thresh3').current, readFileSync(path.join(dir, 'proc/sys/net/ipv6/neigh/default/gc_thresh3'), 'utf8').trim())
      const four = (await runJson<DoctorReport>(['doctor', ...args, '--fail-on', 'none'])).envelope.result
      assert.deepEqual(ids.map((id) => check(four, id).reason), ['for IPv6 only (--family 6)', 'for IPv6 only (--family 6)'])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('--family 4 (the default) plans no net.ipv6 key', async () => {
    const dir = makeSandbox(ipv6Files)
    try {
      const plan = await runCli<ApplyResult>(['apply', '--profile', 'million', '--role', 'client', '--root', dir, '--dry-run', '--json'])
      assert.equal(plan.exit, 0, plan.stderr)
      assert.equal(plan.result!.family, 4)
      assert.deepEqual(plan.result!.plan.filter((r) => r.key.startsWith('net.ipv6.')), [])
      assert.equal(readSandbox(dir, 'proc/sys/net/ipv6/ip_nonlocal_bind'), '0\n')
    } finally {
      removeSandbox(dir)
    }
  })

  it('a profile\'s net.ipv6 value without own: is refused by the schema', () => {
    const text = 'name: t\nsummary: s\nsource: {file: doc.txt}\nsysctl:\n  net.ipv6.ip_nonlocal_bind:\n    value: 1\n    section: part 1\n'
    assert.throws(() => parseProfile(text, 'profiles/t.yaml'), /profiles\/t\.yaml:5: .*own/)
    const owned = text.replace('    section', '    own: the IPv6 way to the document\'s aliases\n    family: 6\n    section')
    const value = parseProfile(owned, 'profiles/t.yaml').values[0]
    assert.equal(value.family, 6)
    assert.equal(value.source.own, "the IPv6 way to the document's aliases")
  })
})

describe('--family bad values', () => {
  for (const command of ['doctor', 'estimate', 'apply']) {
    it(`${command} --family 5: one line, exit 2`, async () => {
      const args = command === 'apply' ? ['apply', '--profile', 'million', '--dry-run'] : command === 'estimate' ? ['estimate', '--conns', '1k'] : ['doctor']
      const out = await run([...args, '--family', '5'])
      assert.equal(out.exitCode, 2)
      assert.equal(out.stdout, '')
      assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr)
      assert.match(out.stderr, /--family=5 to be one of: 4, 6/)
    })
  }
})
