import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import {ramNeed} from '../src/core/doctor/checks/ram.js'
import {modelSocketKernel} from '../src/core/estimate/model-socket-kernel.js'
import {computeNeeds, ROLES} from '../src/core/needs.js'
import {planEstimate} from '../src/core/estimate/plan-estimate.js'
import {resolveRuntime} from '../src/core/estimate/resolve-runtime.js'
import {readHost} from '../src/host/read/read-host.js'
import {hostRoot} from '../src/host/files/root.js'
import {formatBytes, formatCount as fmt} from '../src/core/units.js'
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

  it('on the kernel model: every fixture tree with a slabinfo gives the same per-socket figure and range to both', async () => {
    for (const tree of ['estimate-host', 'host-2008', 'tuned-1m', 'stock-modern']) {
      const host = await readHost(hostRoot(fixture(tree)))
      assert.ok(host.memory.slab, `${tree} has /proc/slabinfo`)
      const model = modelSocketKernel(host.memory.slab, host.sysctl['kernel.osrelease'])
      const target = {conns: 1_000_000, role: 'loopback' as const}
      const doctor = ramNeed({host, target, needs: computeNeeds(target)})
      const estimate = planEstimate({...target, host, runtime: resolveRuntime({})})
      assert.equal(estimate.kernel.bytesPerSocket, model.bytesPerSocket, tree)
      assert.deepEqual(estimate.kernel.model, model, tree)
      assert.equal(doctor.bytesPerSocket, model.bytesPerSocket, tree)
      assert.match(doctor.costSource, new RegExp(`range ${fmt(model.low)} to ${fmt(model.high)} B`), tree)
      assert.equal(doctor.estimate.terms.find((t) => t.name === 'kernel sockets')!.perConn, 2 * model.bytesPerSocket, tree)
    }
  })

  it('the two commands print the same kernel figure from the model', async () => {
    const args = ['--conns', '1M', '--root', fixture('tuned-1m'), '--json']
    const [doctor, estimate] = await Promise.all([run(['doctor', ...args]), run(['estimate', ...args])])
    const ram = JSON.parse(doctor.stdout).result.results.find((r: {id: string}) => r.id === 'ram.connections')
    const e = JSON.parse(estimate.stdout).result
    assert.ok(ram.needed.includes(`${fmt(e.kernel.bytesPerSocket)} B kernel per socket`), ram.needed)
    assert.ok(ram.needed.includes(`range ${fmt(e.kernel.model.low)} to ${fmt(e.kernel.model.high)} B`), ram.needed)
  })
})
