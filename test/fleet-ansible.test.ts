// The Ansible playbooks in deploy/ansible, run by a real ansible-playbook (Debian's ansible-core,
// installed by .ci/run) against inventories of local-connection hosts: each host audits its own
// saved tree (c1m_root) or applies into its own sandbox tree, never the machine's settings.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import type {DoctorReport} from '../src/core/doctor/run-doctor.js'
import type {FleetReport} from '../src/core/doctor/fleet.js'
import {BIN, FIXTURES, REPO_ROOT, run} from './helpers.js'
import {makeSandbox, readSandbox, removeSandbox, treeSnapshot} from './sandbox-tree.js'
import {findProgram} from './server-helpers.js'

const playbook = findProgram('ansible-playbook')
const skip = playbook || process.env.CI ? false : 'ansible-core is not installed (apt-get install ansible-core; .ci/run does)'
const work = mkdtempSync(path.join(os.tmpdir(), 'c1m-ansible-'))
const sandboxes: string[] = []
after(() => {
  rmSync(work, {recursive: true, force: true})
  for (const dir of sandboxes) removeSandbox(dir)
})

/** An inventory of local hosts: name -> host variables. */
function inventory(name: string, hosts: Record<string, string>): string {
  const file = path.join(work, `${name}.ini`)
  const lines = ['[fleet]', ...Object.entries(hosts).map(([h, vars]) => `${h} ${vars}`), '[fleet:vars]', 'ansible_connection=local', 'ansible_python_interpreter=/usr/bin/python3']
  writeFileSync(file, lines.join('\n') + '\n')
  return file
}

async function playbookRun(book: string, inv: string, extra: string[] = []) {
  const env = {ANSIBLE_NOCOLOR: '1', ANSIBLE_HOME: path.join(work, 'ansible-home'), ANSIBLE_LOCAL_TEMP: path.join(work, 'ansible-tmp'), ANSIBLE_RETRY_FILES_ENABLED: '0', NO_COLOR: '1', C1M_PROBE_DIR: 'off'}
  const result = await execa(playbook!, ['-i', inv, path.join(REPO_ROOT, 'deploy/ansible', book), '-e', `c1m_bin=${BIN}`, ...extra], {reject: false, timeout: 180_000, env})
  return {exitCode: result.exitCode ?? -1, output: `${result.stdout}\n${result.stderr}`}
}

function sandbox(): string {
  const dir = makeSandbox()
  sandboxes.push(dir)
  return dir
}

describe('deploy/ansible/doctor.yml', {skip}, () => {
  it('audits each host of the inventory and merges the reports; a host where doctor fails is left out', async () => {
    const trees = {modern: 'stock-modern', tuned: 'tuned-1m', old: 'host-2008'}
    const inv = inventory('doctor', {
      ...Object.fromEntries(Object.entries(trees).map(([host, tree]) => [host, `c1m_root=${path.join(FIXTURES, tree)}`])),
      broken: `c1m_root=${path.join(work, 'no-such-tree')}`,
    })
    const report = path.join(work, 'fleet.json')
    const {exitCode, output} = await playbookRun('doctor.yml', inv, ['-e', `c1m_report=${report}`, '-e', 'c1m_conns=500000'])
    assert.equal(exitCode, 2, `the broken host fails its task\n${output}`)
    assert.match(output, /broken +: ok=0 .*failed=1/)
    const fleet = (JSON.parse(readFileSync(report, 'utf8')) as FleetReport & {schema: string})
    assert.equal(fleet.schema, 'c1m.doctor-fleet/1')
    assert.deepEqual(fleet.hosts.map((h) => h.name).sort(), ['modern', 'old', 'tuned'])
    for (const [host, tree] of Object.entries(trees)) {
      const direct = JSON.parse((await run(['doctor', '--json', '--fail-on', 'none', '--conns', '500000', '--root', path.join(FIXTURES, tree)])).stdout).result as DoctorReport
      assert.equal(fleet.hosts.find((h) => h.name === host)!.target.conns, 500_000)
      for (const r of direct.results) assert.equal(fleet.checks.find((c) => c.id === r.id)!.statuses[host], r.status, `${host} ${r.id}`)
    }
    assert.equal(fleet.firstBreak?.host, 'old')
    assert.match(output, /old breaks first: fd\.nofile-hard/)
    assert.ok(existsSync(path.join(`${report}.d`, 'modern.json')))
  })
})

describe('deploy/ansible/apply.yml', {skip}, () => {
  it('applies host by host; a host whose post-check fails is reverted byte for byte and stops the rollout', async () => {
    const [a, b, c] = [sandbox(), sandbox(), sandbox()]
    const [bBefore, cBefore] = [treeSnapshot(b), treeSnapshot(c)]
    // b: --persist-only writes the files but not /proc/sys, so the re-plan still finds values to raise
    const inv = inventory('apply', {a: `c1m_root=${a}`, b: `c1m_root=${b} c1m_apply_args='["--persist-only"]'`, c: `c1m_root=${c}`})
    const {exitCode, output} = await playbookRun('apply.yml', inv, ['-e', 'c1m_profile=million'])
    assert.equal(exitCode, 2, output)
    assert.match(output, /TASK \[Revert the host\][^]*?changed: \[b\]/)
    assert.match(output, /c1m apply on b was reverted: c1m post-check failed on b: still to change \['sysctl /)
    assert.match(readSandbox(a, 'etc/sysctl.d/90-c1m.conf'), /^net\.core\.somaxconn = 16384$/m, 'a was applied')
    assert.equal(readSandbox(a, 'proc/sys/net/core/somaxconn'), '16384\n', 'live too')
    assert.ok(existsSync(path.join(a, 'var/lib/c1m/state.json')), 'a keeps its record for a later revert')
    assert.deepEqual(treeSnapshot(b), bBefore, 'b is back as it was')
    assert.deepEqual(treeSnapshot(c), cBefore, 'c, after the failed batch, was not touched')
    assert.doesNotMatch(output, /ok: \[c\]/)
  })

  it('--check plans with apply --dry-run and changes nothing', async () => {
    const dir = sandbox()
    const snapshot = treeSnapshot(dir)
    const {exitCode, output} = await playbookRun('apply.yml', inventory('check', {h: `c1m_root=${dir}`}), ['--check', '-e', 'c1m_profile=go-1m-epoll'])
    assert.equal(exitCode, 0, output)
    assert.match(output, /TASK \[Show the plan\][^]*fs\.nr_open/)
    assert.deepEqual(treeSnapshot(dir), snapshot)
  })
})
