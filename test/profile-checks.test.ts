import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {CheckContext} from '../src/core/doctor/check.js'
import {profileChecks} from '../src/core/doctor/checks/profile.js'
import {computeNeeds} from '../src/core/needs.js'
import {loadProfile} from '../src/core/profile/load-profile.js'
import type {HostSnapshot} from '../src/core/host-snapshot.js'

const PROFILE = `name: t
summary: test
source:
  file: doc.txt
sysctl:
  net.core.somaxconn:
    value: 8192
    section: A
  net.ipv4.tcp_tw_recycle:
    value: 1
    section: B
  net.ipv4.ip_local_port_range:
    value: 1024 65535
    section: C
    roles: [client]
limits:
  nofile:
    soft: 200000
    hard: 200000
    section: D
`

function ctx(sysctl: Record<string, string>, limits: {domain: string; type: 'soft' | 'hard'; value: string}[] = []): CheckContext {
  const host = {
    sysctl: {'kernel.osrelease': '6.18.44', 'fs.nr_open': '1048576', ...sysctl},
    sysctlMissing: {},
    memory: {meminfo: {MemTotal: 8 * 1024 ** 3}, problems: []},
    limitsConf: {entries: limits.map((l, i) => ({file: '/etc/security/limits.conf', line: i + 1, item: 'nofile', ...l})), files: ['/etc/security/limits.conf'], problems: []},
    systemd: {running: false},
  } as unknown as HostSnapshot
  const target = {conns: 100_000, role: 'server' as const}
  return {host, target, needs: computeNeeds(target)}
}

describe('profileChecks', () => {
  const profile = loadProfile('t', () => ({text: PROFILE, file: 'profiles/t.yaml'}))
  const checks = Object.fromEntries(profileChecks(profile).map((c) => [c.id, c]))

  it('makes one check per value, in the profile area, with the source as the reason it matters', () => {
    assert.deepEqual(Object.keys(checks), ['profile.net.core.somaxconn', 'profile.net.ipv4.tcp_tw_recycle', 'profile.net.ipv4.ip_local_port_range', 'profile.nofile.soft', 'profile.nofile.hard'])
    assert.ok(Object.values(checks).every((c) => c.area === 'profile'))
    assert.equal(checks['profile.net.core.somaxconn'].why, 'doc.txt, A')
  })

  it('passes when the host has the value or more, fails with the fix when it has less', () => {
    assert.equal(checks['profile.net.core.somaxconn'].evaluate(ctx({'net.core.somaxconn': '8192'})).status, 'pass')
    assert.equal(checks['profile.net.core.somaxconn'].evaluate(ctx({'net.core.somaxconn': '65535'})).status, 'pass')
    const low = checks['profile.net.core.somaxconn'].evaluate(ctx({'net.core.somaxconn': '4096'}))
    assert.equal(low.status, 'fail')
    assert.match(low.fix!, /sysctl -w net\.core\.somaxconn=8192/)
  })

  it('skips what apply skips: a removed key, a value for another role', () => {
    const recycle = checks['profile.net.ipv4.tcp_tw_recycle'].evaluate(ctx({}))
    assert.equal(recycle.status, 'skip')
    assert.match(recycle.reason!, /removed in Linux 4\.12/)
    assert.throws(() => checks['profile.net.ipv4.ip_local_port_range'].evaluate(ctx({})), /for the client role only/)
  })

  it('reads nofile from limits.conf', () => {
    const c = ctx({}, [{domain: '*', type: 'soft', value: '200000'}, {domain: '*', type: 'hard', value: '100000'}])
    assert.equal(checks['profile.nofile.soft'].evaluate(c).status, 'pass')
    assert.equal(checks['profile.nofile.hard'].evaluate(c).status, 'fail')
  })
})
