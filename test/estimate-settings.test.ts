import assert from 'node:assert/strict'
import {cpSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {settingRows} from '../src/core/estimate/estimate-settings.js'
import {planEstimate} from '../src/core/estimate/plan-estimate.js'
import {resolveRuntime} from '../src/core/estimate/resolve-runtime.js'
import type {HostSnapshot} from '../src/core/host-snapshot.js'
import {ROLES, type Role} from '../src/core/needs.js'
import {readProfile} from '../src/host/read/profile-files.js'
import {readHost} from '../src/host/read/read-host.js'
import {hostRoot} from '../src/host/files/root.js'
import {FIXTURES, runJson} from './helpers.js'

const SYSCTL = /^(fs|net|vm|kernel)\./

/** The sysctl names among estimate's setting rows ("net.ipv4.tcp_mem (pages)" is net.ipv4.tcp_mem). */
function estimateKeys(rows: {name: string}[]): string[] {
  return rows.map((r) => r.name.replace(/ \(pages\)$/, '')).filter((n) => SYSCTL.test(n)).sort()
}

describe('estimate lists the settings apply --profile million sets', () => {
  let host: HostSnapshot
  before(async () => {
    host = await readHost(hostRoot(path.join(FIXTURES, 'stock-modern')))
  })

  for (const family of [4, 6] as const) {
    for (const role of ROLES) {
      it(`the same sysctl keys as profiles/million.yaml for the ${role} role, IPv${family}`, () => {
        const profile = readProfile('million')
        const wanted = profile.values
          .filter((v) => v.kind === 'sysctl' && (!v.roles || v.roles.includes(role)) && (!v.family || v.family === family))
          .map((v) => v.key)
          .sort()
        const result = planEstimate({conns: 1_000_000, role, family, host, runtime: resolveRuntime({})})
        assert.deepEqual(estimateKeys(settingRows(result, host.sysctl)), wanted)
      })
    }
  }

  it('gives netdev_max_backlog and tcp_max_tw_buckets from the model, with the host values now', () => {
    const result = planEstimate({conns: 1_000_000, role: 'server', host, runtime: resolveRuntime({})})
    const rows = Object.fromEntries(settingRows(result, host.sysctl).map((r) => [r.name, r]))
    assert.equal(rows['net.core.netdev_max_backlog'].value, '16384')
    assert.equal(rows['net.core.netdev_max_backlog'].current, host.sysctl['net.core.netdev_max_backlog'])
    assert.equal(rows['net.ipv4.tcp_max_tw_buckets'].value, '1000000')
    assert.equal(rows['net.ipv4.tcp_max_tw_buckets'].current, host.sysctl['net.ipv4.tcp_max_tw_buckets'])
    assert.equal(rows['net.ipv4.tcp_tw_reuse'], undefined, 'tcp_tw_reuse is for the connecting side only')
  })
})

describe('c1m estimate and c1m apply --dry-run agree on one tree', () => {
  let sandbox: string
  before(() => {
    sandbox = mkdtempSync(path.join(tmpdir(), 'c1m-estimate-settings-'))
    cpSync(path.join(FIXTURES, 'stock-modern'), sandbox, {recursive: true})
  })
  after(() => rmSync(sandbox, {recursive: true, force: true}))

  for (const [role, family] of [['server', '4'], ['client', '4'], ['client', '6']] as [Role, string][]) {
    it(`every sysctl apply plans is in estimate's settings with the same value (${role}, --family ${family})`, async () => {
      const common = ['--conns', '1M', '--role', role, '--family', family, '--root', sandbox]
      const plan = await runJson<{plan: {kind: string; key: string; wanted: string}[]}>(['apply', '--profile', 'million', '--dry-run', ...common])
      const estimate = await runJson<{settingRows: {name: string; value: string}[]}>(['estimate', ...common])
      assert.equal(plan.exitCode, 0, plan.stderr)
      assert.equal(estimate.exitCode, 0, estimate.stderr)
      const planned = Object.fromEntries(plan.envelope.result.plan.filter((r) => r.kind === 'sysctl').map((r) => [r.key, r.wanted]))
      const listed = Object.fromEntries(estimate.envelope.result.settingRows.map((r) => [r.name.replace(/ \(pages\)$/, ''), r.value]))
      assert.deepEqual(Object.keys(planned).sort(), estimateKeys(estimate.envelope.result.settingRows))
      for (const [key, value] of Object.entries(planned)) assert.equal(listed[key], value, key)
    })
  }
})
