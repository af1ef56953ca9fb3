// c1m doctor --merge: the doctor JSON of several hosts (here, the saved fixture trees) as one
// fleet table and result; and every way a file given to it can be wrong.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {DoctorReport} from '../src/core/doctor/run-doctor.js'
import type {FleetReport} from '../src/core/doctor/fleet.js'
import {FIXTURES, run, runJson} from './helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-merge-'))
after(() => rmSync(dir, {recursive: true, force: true}))
const TREES = ['stock-modern', 'tuned-1m', 'host-2008']
const files = TREES.map((t) => path.join(dir, `${t}.json`))
const reports: Record<string, DoctorReport> = {}

before(async () => {
  for (const [i, tree] of TREES.entries()) {
    const {stdout} = await run(['doctor', '--json', '--fail-on', 'none', '--root', path.join(FIXTURES, tree)])
    writeFileSync(files[i], stdout)
    reports[tree] = JSON.parse(stdout).result
  }
})

describe('c1m doctor --merge', () => {
  it('names each host after its file, keeps every status, and finds the host that breaks first', async () => {
    const {envelope, exitCode} = await runJson<FleetReport>(['doctor', '--merge', ...files])
    assert.equal(exitCode, 1, 'a host fails: exit 1 under the default --fail-on fail')
    const fleet = envelope.result
    assert.equal(fleet.schema, 'c1m.doctor-fleet/1')
    assert.deepEqual(fleet.hosts.map((h) => h.name), TREES)
    for (const tree of TREES) {
      for (const r of reports[tree].results) assert.equal(fleet.checks.find((c) => c.id === r.id)!.statuses[tree], r.status, `${tree} ${r.id}`)
    }
    // host-2008's hard nofile limit is 1024: it breaks first, far below the others
    assert.equal(fleet.firstBreak?.host, 'host-2008')
    assert.equal(fleet.firstBreak?.id, reports['host-2008'].firstBreak!.id)
    assert.equal(fleet.firstBreak?.breaksAt, reports['host-2008'].firstBreak!.breaksAt)
    assert.deepEqual(fleet.summary, {hosts: 3, ready: 1, notReady: ['stock-modern', 'host-2008']})
  })

  it('prints one table of hosts by checks and the first break; --fail-on none exits 0', async () => {
    const {stdout, exitCode} = await run(['doctor', '--merge', ...files, '--fail-on', 'none'])
    assert.equal(exitCode, 0)
    assert.match(stdout, /^c1m doctor --merge: 3 hosts, 1 ready$/m)
    assert.match(stdout, /║ check +│ stock-modern │ tuned-1m │ host-2008 ║/)
    assert.match(stdout, /║ fd\.nofile-hard +│ FAIL +│ PASS +│ FAIL +║/)
    assert.match(stdout, /^host-2008 breaks first: fd\.nofile-hard .* at about [\d,]+ connections\./m)
  })

  it('says which hosts plan for IPv6 connections (--family 6), as doctor\'s own table does', async () => {
    const tree = path.join(FIXTURES, 'ipv6-host')
    const [v6, v4] = [path.join(dir, 'edge-v6.json'), path.join(dir, 'edge-v4.json')]
    writeFileSync(v6, (await run(['doctor', '--json', '--fail-on', 'none', '--root', tree, '--family', '6'])).stdout)
    writeFileSync(v4, (await run(['doctor', '--json', '--fail-on', 'none', '--root', tree])).stdout)
    // The reports merged, read here: one host planned for IPv6, the other for IPv4.
    const family = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as {result: DoctorReport}).result.target.family
    assert.deepEqual([family(v6), family(v4)], [6, 4])
    const {stdout, exitCode} = await run(['doctor', '--merge', v6, v4, '--fail-on', 'none'])
    assert.equal(exitCode, 0)
    assert.match(stdout, /║ edge-v6 +│ [^│]+│ 1,000,000 IPv6 server +│/)
    assert.match(stdout, /║ edge-v4 +│ [^│]+│ 1,000,000 server +│/)
    // The one host's own table words it the same way.
    assert.match((await run(['doctor', '--fail-on', 'none', '--root', tree, '--family', '6'])).stdout, /^c1m doctor: 1,000,000 IPv6 connections, role server, /m)
    const fleet = (await runJson<FleetReport>(['doctor', '--merge', v6, v4, '--fail-on', 'none'])).envelope.result
    assert.deepEqual(fleet.hosts.map((h) => h.target.family), [6, 4])
  })

  it('a fleet where every host is ready exits 0 and says so', async () => {
    const {stdout, exitCode} = await run(['doctor', '--merge', files[1]])
    assert.equal(exitCode, 0)
    assert.match(stdout, /All 1 hosts are ready/)
  })

  it('writes the merged JSON with --out and refuses another format there', async () => {
    const out = path.join(dir, 'fleet.json')
    assert.equal((await run(['doctor', '--merge', ...files, '--fail-on', 'none', '--out', out])).exitCode, 0)
    const bad = await run(['doctor', '--merge', ...files, '--out', path.join(dir, 'fleet.prom')])
    assert.equal(bad.exitCode, 2)
    assert.match(bad.stderr, /--merge writes JSON only/)
  })

  it('prints a hostile file name and title with control characters made visible, never as terminal escapes', async () => {
    const report = JSON.parse(JSON.stringify(reports['host-2008'])) as DoctorReport
    report.firstBreak!.title = 'evil\u001b[2J\u001b]0;pwned\u0007'
    const file = path.join(dir, 'evil\u001b[31m.json')
    writeFileSync(file, JSON.stringify({status: 1, result: report}))
    const {stdout} = await run(['doctor', '--merge', file, '--fail-on', 'none'])
    assert.ok(!stdout.includes('\u001b'), 'no escape character reaches the terminal')
    assert.match(stdout, /evil\?\[2J\?\]0;pwned\?/)
  })

  const bad = (name: string, text: string) => {
    const file = path.join(dir, name)
    writeFileSync(file, text)
    return file
  }
  const cases: Array<[string, () => string[], number, RegExp]> = [
    ['not JSON', () => [bad('a.json', '{')], 2, /a\.json is not a c1m doctor report: not JSON.*\[E_BAD_REPORT, exit 2\]/],
    ['another schema', () => [bad('b.json', JSON.stringify({schema: 'c1m.probe/1'}))], 2, /schema is "c1m\.probe\/1", not c1m\.doctor\/1/],
    ['a failed doctor run', () => [bad('c.json', JSON.stringify({status: 2, error: {code: 'E_BAD_ROOT', message: 'no such tree'}}))], 2, /doctor failed on that host \(no such tree\)/],
    ['a bad status', () => [bad('d.json', JSON.stringify({...reports['tuned-1m'], results: [{...reports['tuned-1m'].results[0], status: 'great'}]}))], 2, /has status "great"/],
    ['two files for one host', () => [files[0], files[0]], 2, /both name the host "stock-modern".*\[E_USAGE, exit 2\]/],
    ['a missing file', () => [path.join(dir, 'nowhere.json')], 6, /--merge .*nowhere\.json: cannot read it \(ENOENT\).*\[E_UNREADABLE, exit 6\]/],
    ['a directory', () => [dir], 2, /not a regular file/],
  ]
  for (const [name, args, exit, message] of cases) {
    it(`refuses ${name} in one line with exit ${exit}`, async () => {
      const {exitCode, stderr, stdout} = await run(['doctor', '--merge', ...args()])
      assert.equal(exitCode, exit, stderr)
      assert.equal(stdout, '')
      assert.equal(stderr.trim().split('\n').length, 1, stderr)
      assert.match(stderr, message)
    })
  }

  it('does not take flags that read a host', async () => {
    const {exitCode, stderr} = await run(['doctor', '--merge', files[0], '--root', FIXTURES])
    assert.equal(exitCode, 2)
    assert.match(stderr, /--root=.* cannot also be provided when using --merge|cannot also be provided/)
  })
})
