import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {pickAddresses} from '../src/core/cidr.js'
import {compareSysctl, kernelAtLeast, tcpMemLooksLikeBytes} from '../src/core/profile/kernel-keys.js'
import {loadProfile, type ProfileReader} from '../src/core/profile/load-profile.js'
import {planApply} from '../src/core/profile/plan-apply.js'
import {conntrackHashsize, laterOverrides, renderLimitsConf, renderModprobeConf, renderSysctlConf} from '../src/core/profile/render-files.js'
import type {ResolvedValue} from '../src/core/profile/types.js'
import {C1mError} from '../src/core/errors.js'
import type {PlanFacts, PlanRow} from '../src/core/profile/plan-rows.js'

const source = {profile: 'test', file: 'doc.txt', section: 'S', at: 'profiles/test.yaml:1'}
const sysctl = (key: string, value: string): ResolvedValue => ({id: `sysctl ${key}`, kind: 'sysctl', key, value, source})
const nofile = (type: 'soft' | 'hard', value: string): ResolvedValue => ({id: `nofile ${type}`, kind: 'nofile', key: type, value, source})

const GiB = 1024 ** 3
function facts(over: Partial<PlanFacts> = {}): PlanFacts {
  return {
    kernel: '6.18.44',
    memTotal: 24 * GiB,
    sysctl: {
      'fs.nr_open': '1048576',
      'net.core.somaxconn': '4096',
      'net.core.rmem_max': '212992',
      'net.ipv4.tcp_mem': '288390 384523 576780',
      'net.ipv4.tcp_rmem': '4096 131072 6291456',
      'net.ipv4.ip_local_port_range': '32768 60999',
      'net.ipv4.tcp_tw_reuse': '2',
      'net.netfilter.nf_conntrack_max': '262144',
    },
    nofile: {},
    systemd: {running: true},
    ...over,
  }
}

function plan(values: ResolvedValue[], f: PlanFacts = facts(), allowLower = false): Record<string, PlanRow> {
  return Object.fromEntries(planApply(values, f, {role: 'server', allowLower}).map((r) => [r.id, r]))
}

describe('planApply', () => {
  it('raises a lower value and keeps a higher one (only raise, as tuned ">")', () => {
    const rows = plan([sysctl('net.core.somaxconn', '15000'), sysctl('net.core.rmem_max', '16384')])
    assert.equal(rows['sysctl net.core.somaxconn'].action, 'raise')
    assert.equal(rows['sysctl net.core.somaxconn'].value, '15000')
    assert.equal(rows['sysctl net.core.somaxconn'].current, '4096')
    assert.equal(rows['sysctl net.core.rmem_max'].action, 'keep')
    assert.equal(rows['sysctl net.core.rmem_max'].value, undefined)
    assert.match(rows['sysctl net.core.rmem_max'].why, /already higher/)
  })

  it('lowers only with --allow-lower', () => {
    const rows = plan([sysctl('net.core.rmem_max', '16384')], facts(), true)
    assert.equal(rows['sysctl net.core.rmem_max'].action, 'lower')
    assert.equal(rows['sysctl net.core.rmem_max'].value, '16384')
  })

  it('keeps a value that is already set', () => {
    assert.equal(plan([sysctl('net.core.somaxconn', '4096')])['sysctl net.core.somaxconn'].action, 'keep')
  })

  it('raises the lower fields of a triple and keeps the higher ones', () => {
    const row = plan([sysctl('net.ipv4.tcp_rmem', '8760 256960 4088000')])['sysctl net.ipv4.tcp_rmem']
    assert.equal(row.action, 'raise')
    assert.equal(row.value, '8760 256960 6291456')
    assert.match(row.why, /field 3 is already higher/)
    assert.equal(plan([sysctl('net.ipv4.tcp_rmem', '8760 256960 4088000')], facts(), true)['sysctl net.ipv4.tcp_rmem'].value, '8760 256960 4088000')
  })

  it('widens a port range: a lower low end is more', () => {
    const row = plan([sysctl('net.ipv4.ip_local_port_range', '1024 65535')])['sysctl net.ipv4.ip_local_port_range']
    assert.equal(row.action, 'raise')
    assert.equal(row.value, '1024 65535')
    const narrower = plan([sysctl('net.ipv4.ip_local_port_range', '40000 50000')])['sysctl net.ipv4.ip_local_port_range']
    assert.equal(narrower.action, 'keep')
    assert.equal(compareSysctl('net.ipv4.ip_local_port_range', '32768 60999', '1024 50000').kind, 'mixed')
  })

  it('sets a choice as written: tcp_tw_reuse 1 over the default 2 is not "lower"', () => {
    const row = plan([sysctl('net.ipv4.tcp_tw_reuse', '1')])['sysctl net.ipv4.tcp_tw_reuse']
    assert.equal(row.action, 'set')
    assert.equal(row.value, '1')
  })

  it('maps the pre-2.6.20 conntrack name to the one this kernel has', () => {
    const row = plan([sysctl('net.ipv4.netfilter.ip_conntrack_max', '1048576')])['sysctl net.ipv4.netfilter.ip_conntrack_max']
    assert.equal(row.key, 'net.netfilter.nf_conntrack_max')
    assert.equal(row.renamedFrom, 'net.ipv4.netfilter.ip_conntrack_max')
    assert.equal(row.current, '262144')
    assert.equal(row.action, 'raise')
    assert.match(row.why, /renamed net\.netfilter\.nf_conntrack_max/)
  })

  it('skips a key the kernel removed, with the version and the reason', () => {
    const row = plan([sysctl('net.ipv4.tcp_tw_recycle', '1')])['sysctl net.ipv4.tcp_tw_recycle']
    assert.equal(row.action, 'skip')
    assert.match(row.why, /removed in Linux 4\.12/)
    assert.match(row.why, /NAT/)
    // On a 4.9 kernel that still had it, it is set like any other choice.
    const old = plan([sysctl('net.ipv4.tcp_tw_recycle', '1')], facts({kernel: '4.9.0', sysctl: {'net.ipv4.tcp_tw_recycle': '0'}}))
    assert.equal(old['sysctl net.ipv4.tcp_tw_recycle'].action, 'set')
  })

  it('skips a key this kernel does not have', () => {
    const row = plan([sysctl('net.ipv4.tcp_nonexistent', '1')])['sysctl net.ipv4.tcp_nonexistent']
    assert.equal(row.action, 'skip')
    assert.match(row.why, /not on this kernel/)
  })

  it('flags a tcp_mem typed in bytes: pages x 4096 above RAM', () => {
    const row = plan([sysctl('net.ipv4.tcp_mem', '786432 1048576 26777216')])['sysctl net.ipv4.tcp_mem']
    assert.equal(row.action, 'skip')
    assert.match(row.why, /looks like bytes/)
    assert.match(row.why, /field 3/)
    assert.match(row.why, /102 GiB/)
    // The same value fits a host with 128 GiB of RAM.
    assert.equal(plan([sysctl('net.ipv4.tcp_mem', '786432 1048576 26777216')], facts({memTotal: 128 * GiB}))['sysctl net.ipv4.tcp_mem'].action, 'raise')
    assert.equal(tcpMemLooksLikeBytes('131072 262144 524288', 24 * GiB), undefined)
  })

  it('plans nofile against limits.conf and refuses a value above fs.nr_open', () => {
    const unset = plan([nofile('soft', '200000'), nofile('hard', '200000')])
    assert.equal(unset['nofile soft'].action, 'set')
    const higher = plan([nofile('hard', '200000')], facts({nofile: {hard: '500000', where: '/etc/security/limits.conf:3'}}))
    assert.equal(higher['nofile hard'].action, 'keep')
    assert.match(higher['nofile hard'].why, /limits\.conf:3/)
    const above = plan([nofile('hard', '2000500')])
    assert.equal(above['nofile hard'].action, 'skip')
    assert.match(above['nofile hard'].why, /above fs\.nr_open \(1048576\)/)
    // Raising nr_open in the same profile makes room for it.
    const withNrOpen = plan([sysctl('fs.nr_open', '2000500'), nofile('hard', '2000500')])
    assert.equal(withNrOpen['nofile hard'].action, 'set')
  })

  it('with --netns: sets per-namespace keys and leaves global and read-only ones alone', () => {
    const f = facts({netns: {name: 'ns1', scope: {'net.core.somaxconn': 'namespace', 'net.core.rmem_max': 'read-only', 'net.ipv4.tcp_mem': 'absent'}}})
    const rows = plan([sysctl('net.core.somaxconn', '15000'), sysctl('net.core.rmem_max', '33554432'), sysctl('net.ipv4.tcp_mem', '300000 400000 600000'), sysctl('fs.nr_open', '2000000'), nofile('soft', '5000')], f)
    assert.equal(rows['sysctl net.core.somaxconn'].action, 'raise')
    assert.match(rows['sysctl net.core.rmem_max'].why, /read-only inside a network namespace/)
    assert.match(rows['sysctl net.ipv4.tcp_mem'].why, /global/)
    assert.match(rows['sysctl fs.nr_open'].why, /global/)
    assert.equal(rows['nofile soft'].action, 'skip')
  })

  it('plans client addresses from a block, counting those already there', () => {
    const v: ResolvedValue = {id: 'addresses count', kind: 'addresses', key: 'count', value: '3', source}
    const f = facts({addresses: {iface: 'eth0', cidr: '10.0.0.0/24', present: ['10.0.0.1', '192.168.1.5'], canAdd: true}})
    const [row] = planApply([v], f, {role: 'client', allowLower: false})
    assert.equal(row.action, 'set')
    assert.deepEqual(row.add, ['10.0.0.2', '10.0.0.3'])
    const [server] = planApply([v], f, {role: 'server', allowLower: false})
    assert.equal(server.action, 'skip')
    const [none] = planApply([v], facts(), {role: 'client', allowLower: false})
    assert.match(none.why, /--iface/)
    assert.throws(() => pickAddresses('10.0.0.0/30', 3, []), /holds 2 host addresses/)
  })
})

describe('kernel versions', () => {
  it('compares releases', () => {
    assert.ok(kernelAtLeast('6.18.44-fc-v445', '4.12'))
    assert.ok(kernelAtLeast('4.12.0', '4.12'))
    assert.ok(!kernelAtLeast('4.9.337', '4.12'))
    assert.ok(!kernelAtLeast('3.10.0-1160.el7', '4.12'))
  })
})

describe('files apply writes', () => {
  it('writes only what changes, each value with its source; warns about a later sysctl file', () => {
    const rows = planApply([sysctl('net.core.somaxconn', '15000'), sysctl('net.core.rmem_max', '16384'), nofile('soft', '200000')], facts(), {role: 'server', allowLower: false})
    const conf = renderSysctlConf('test', rows)!
    assert.match(conf, /^# doc\.txt, S\nnet\.core\.somaxconn = 15000$/m)
    assert.doesNotMatch(conf, /rmem_max/)
    assert.match(renderLimitsConf('test', rows)!, /^\* {4}soft nofile 200000\nroot soft nofile 200000$/m)
    const warnings = laterOverrides(rows, [
      {file: '/etc/sysctl.d/99-tuning.conf', line: 4, key: 'net.core.somaxconn', value: '1024'},
      {file: '/etc/sysctl.d/10-early.conf', line: 1, key: 'net.core.somaxconn', value: '128'},
      {file: '/etc/sysctl.conf', line: 9, key: 'net.core.somaxconn', value: '15000'},
    ])
    assert.equal(warnings.length, 1)
    assert.match(warnings[0], /99-tuning\.conf:4 sets net\.core\.somaxconn = 1024/)
  })
})

describe('conntrack hash size', () => {
  it('takes nf_conntrack_buckets when it changes, else a quarter of nf_conntrack_max', () => {
    const maxOnly = planApply([sysctl('net.netfilter.nf_conntrack_max', '1048576')], facts(), {role: 'server', allowLower: false})
    assert.equal(conntrackHashsize(maxOnly), 262144)
    assert.match(renderModprobeConf('test', maxOnly)!, /^options nf_conntrack hashsize=262144$/m)
    assert.match(renderSysctlConf('test', maxOnly)!, /^-net\.netfilter\.nf_conntrack_max = 1048576$/m)
    const f = facts()
    f.sysctl['net.netfilter.nf_conntrack_buckets'] = '65536'
    const both = planApply([sysctl('net.netfilter.nf_conntrack_max', '1048576'), sysctl('net.netfilter.nf_conntrack_buckets', '131072')], f, {role: 'server', allowLower: false})
    assert.equal(conntrackHashsize(both), 131072)
    const none = planApply([sysctl('net.core.somaxconn', '15000')], facts(), {role: 'server', allowLower: false})
    assert.equal(renderModprobeConf('test', none), undefined)
    assert.doesNotMatch(renderSysctlConf('test', none)!, /^-/m)
  })
})

describe('loading profiles', () => {
  const files: Record<string, string> = {}
  const reader: ProfileReader = (name) => (files[name] === undefined ? undefined : {text: files[name], file: `profiles/${name}.yaml`})
  const profile = (name: string, body: string) => {
    files[name] = `name: ${name}\nsummary: test\nsource:\n  file: doc.txt\n${body}`
  }
  const loadError = (name: string): C1mError => {
    try {
      loadProfile(name, reader)
    } catch (error) {
      assert.ok(error instanceof C1mError)
      assert.equal(error.code, 'E_BAD_PROFILE')
      return error
    }
    assert.fail(`${name} loaded`)
  }

  it('merges includes in order, later wins', () => {
    profile('base', 'sysctl:\n  net.core.somaxconn:\n    value: 1024\n    section: A\n  fs.file-max:\n    value: 100\n    section: A\n')
    profile('extra', 'sysctl:\n  fs.file-max:\n    value: 200\n    section: B\n')
    profile('top', 'include: [base, extra]\nsysctl:\n  net.core.somaxconn:\n    value: 4096\n    section: C\n')
    const p = loadProfile('top', reader)
    assert.deepEqual(p.chain, ['base', 'extra', 'top'])
    const byId = Object.fromEntries(p.values.map((v) => [v.id, v]))
    assert.equal(byId['sysctl net.core.somaxconn'].value, '4096')
    assert.equal(byId['sysctl net.core.somaxconn'].source.section, 'C')
    assert.equal(byId['sysctl fs.file-max'].value, '200')
    assert.equal(byId['sysctl fs.file-max'].source.profile, 'extra')
  })

  it('rejects an include cycle, naming the file and line', () => {
    profile('loop-a', 'include: [loop-b]\n')
    profile('loop-b', 'include:\n  - loop-a\n')
    assert.match(loadError('loop-a').message, /^profiles\/loop-b\.yaml:6: include: cycle: loop-a -> loop-b -> loop-a/)
  })

  it('rejects a missing include', () => {
    profile('dangling', 'include: [nowhere]\n')
    assert.match(loadError('dangling').message, /^profiles\/dangling\.yaml:5: include: no profile named "nowhere"/)
  })

  it('names the file, key and line of malformed YAML, unknown sections and bad values', () => {
    profile('bad-yaml', 'sysctl:\n  net.core.somaxconn: {value: 1\n')
    assert.match(loadError('bad-yaml').message, /^profiles\/bad-yaml\.yaml:\d+: yaml: malformed YAML/)
    profile('bad-section', 'tunables:\n  a: 1\n')
    assert.match(loadError('bad-section').message, /^profiles\/bad-section\.yaml:5: tunables: unknown section/)
    profile('bad-value', 'sysctl:\n  net.core.somaxconn:\n    value: lots\n    section: A\n')
    assert.match(loadError('bad-value').message, /^profiles\/bad-value\.yaml:7: sysctl\.net\.core\.somaxconn\.value: must be a whole number/)
    profile('no-section', 'sysctl:\n  net.core.somaxconn:\n    value: 10\n')
    assert.match(loadError('no-section').message, /^profiles\/no-section\.yaml:6: sysctl\.net\.core\.somaxconn: has no section/)
    profile('bad-formula', 'limits:\n  nofile:\n    compute: lots\n    formula: x\n    section: A\n')
    assert.match(loadError('bad-formula').message, /^profiles\/bad-formula\.yaml:7: limits\.nofile\.compute: unknown formula "lots"/)
    profile('bad-role', 'addresses:\n  count: 3\n  section: A\n  roles: [proxy]\n')
    assert.match(loadError('bad-role').message, /addresses\.roles: unknown role "proxy"/)
  })

  it('says which profiles exist when the name is unknown', () => {
    assert.throws(() => loadProfile('nope', reader, ['a', 'b']), /no profile named "nope"; profiles: a, b/)
  })
})
