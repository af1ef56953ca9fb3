import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import {ramNeed} from '../src/core/checks/ram.js'
import {computeNeeds, ROLES} from '../src/core/needs.js'
import {planEstimate} from '../src/core/plan-estimate.js'
import {resolveRuntime} from '../src/core/resolve-runtime.js'
import {readHost} from '../src/host/read-host.js'
import {hostRoot} from '../src/host/root.js'
import {formatBytes} from '../src/units.js'
import {FIXTURES, run} from './helpers.js'

const fixture = (name: string) => path.join(FIXTURES, name)

describe("doctor's RAM check and estimate agree for the same N", () => {
  for (const tree of ['estimate-host', 'host-2008', 'tuned-1m', 'container-capped']) {
    it(`on ${tree}, for every role`, async () => {
      const host = await readHost(hostRoot(fixture(tree)))
      assert.ok(host.memory.meminfo?.MemTotal, 'the tree has /proc/meminfo')
      for (const role of ROLES) {
        for (const conns of [50_000, 1_000_000]) {
          const target = {conns, role}
          const doctor = ramNeed({host, target, needs: computeNeeds(target)})
          const estimate = planEstimate({conns, role, host, runtime: resolveRuntime({})})
          assert.deepEqual(estimate.memory, doctor.estimate, `${tree} ${role} ${conns}`)
        }
      }
    })
  }

  it('the two commands print the same need and the same most-connections figure', async () => {
    const args = ['--conns', '1M', '--role', 'loopback', '--root', fixture('estimate-host'), '--json']
    const cli = (cmd: string) => run([cmd, ...args], {env: {C1M_PROBE_DIR: '/nonexistent'}})
    const [doctor, estimate] = await Promise.all([cli('doctor'), cli('estimate')])
    const ram = JSON.parse(doctor.stdout).result.results.find((r: {id: string}) => r.id === 'ram.connections')
    const e = JSON.parse(estimate.stdout).result
    assert.equal(ram.breaksAt, e.maxConnsPerHost)
    assert.ok(ram.needed.startsWith(`${formatBytes(e.memory.total)} (${formatBytes(e.memory.perConn)} per connection`), ram.needed)
  })
})
