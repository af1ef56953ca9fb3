import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {DoctorReport} from '../src/core/doctor/run-doctor.js'
import {FIXTURES, run, runJson, VERSION} from './helpers.js'

const tree = (name: string) => path.join(FIXTURES, name)

describe('c1m doctor --json', () => {
  it('prints one versioned document in the envelope and exits 1 on a FAIL by default', async () => {
    const {envelope, exitCode} = await runJson<DoctorReport>(['doctor', '--root', tree('host-2008')])
    assert.equal(exitCode, 1)
    assert.equal(envelope.status, 1)
    assert.equal(envelope.result.schema, 'c1m.doctor/1')
    assert.equal((envelope.result as unknown as {version: string}).version, VERSION)
    assert.deepEqual(Object.keys(envelope.result).slice(0, 2), ['schema', 'version'])
    assert.deepEqual(envelope.result.target, {conns: 1_000_000, role: 'server', family: 4})
    assert.equal(envelope.result.firstBreak?.id, 'fd.nofile-hard')
    assert.ok(envelope.result.results.length >= 25)
  })
  it('--fail-on none exits 0 whatever it finds', async () => {
    const {envelope, exitCode} = await runJson<DoctorReport>(['doctor', '--root', tree('host-2008'), '--fail-on', 'none'])
    assert.equal(exitCode, 0)
    assert.equal(envelope.status, 0)
    assert.ok(envelope.result.summary.fail > 0)
  })
  it('gives the numbers behind current and needed, or null where the display is not one number', async () => {
    const {envelope} = await runJson<DoctorReport>(['doctor', '--root', tree('host-2008'), '--fail-on', 'none'])
    const byId = (id: string) => envelope.result.results.find((r) => r.id === id)!
    assert.deepEqual([byId('fd.file-max').current, byId('fd.file-max').currentValue, byId('fd.file-max').needed, byId('fd.file-max').neededValue], ['65,536', 65_536, '>= 1,065,984', 1_065_984])
    // "65,536 (1,200 tracked now)": the remark in parentheses is not the value
    assert.equal(byId('conntrack.max').currentValue, 65_536)
    // "soft 1024, hard 4096 (...)" is two numbers: null, not one of them
    assert.equal(byId('fd.limits-conf').currentValue, null)
    // a skipped check has neither
    const skipped = envelope.result.results.find((r) => r.status === 'skip')!
    assert.deepEqual([skipped.currentValue, skipped.neededValue], [null, null])
    for (const r of envelope.result.results) {
      assert.ok(r.currentValue === null || typeof r.currentValue === 'number', r.id)
      assert.ok(r.neededValue === null || typeof r.neededValue === 'number', r.id)
    }
  })
  it('accepts every count form', async () => {
    for (const conns of ['250k', '2.5e5', '250000']) {
      const {envelope} = await runJson<DoctorReport>(['doctor', '--root', tree('tuned-1m'), '--conns', conns])
      assert.equal(envelope.result.target.conns, 250_000, conns)
    }
  })
  it('--fail-on sets exit 1 at the level, in the envelope too', async () => {
    const fail = await runJson<DoctorReport>(['doctor', '--root', tree('host-2008'), '--fail-on', 'fail'])
    assert.equal(fail.exitCode, 1)
    assert.equal(fail.envelope.status, 1)
    const warnOnTuned = await runJson<DoctorReport>(['doctor', '--root', tree('tuned-1m'), '--fail-on', 'warn'])
    assert.equal(warnOnTuned.exitCode, 0)
    const failOnTuned = await runJson<DoctorReport>(['doctor', '--root', tree('tuned-1m')])
    assert.equal(failOnTuned.exitCode, 0, 'a host with no FAIL exits 0 under the default --fail-on fail')
    const warnOnStock = await runJson<DoctorReport>(['doctor', '--root', tree('stock-modern'), '--conns', '5000', '--fail-on', 'warn'])
    assert.equal(warnOnStock.exitCode, 1, 'stock host has warnings (limits.conf, systemd) even at 5000')
  })
  it('--skip waives a check', async () => {
    const {envelope} = await runJson<DoctorReport>(['doctor', '--root', tree('host-2008'), '--skip', 'fd.nofile-hard', '--skip', 'fd.file-max'])
    const skipped = envelope.result.results.filter((r) => r.reason === 'waived with --skip').map((r) => r.id)
    assert.deepEqual(skipped.sort(), ['fd.file-max', 'fd.nofile-hard'])
  })
})

describe('c1m doctor output formats', () => {
  it('table: grouped by area, ending with what breaks first', async () => {
    const {stdout, exitCode} = await run(['doctor', '--root', tree('host-2008')])
    assert.equal(exitCode, 1)
    for (const area of ['File descriptors', 'Accept queue', 'Conntrack', 'TCP memory', 'RAM', 'Configuration hygiene', 'Kernel log symptoms']) assert.ok(stdout.includes(area), area)
    const last = stdout.trim().split('\n').at(-1)!
    assert.match(last, /^For 1,000,000 server connections, fd\.nofile-hard .* breaks first at about 960 connections\. Fix: /)
  })
  it('junit: one testcase per check, with a time; the suite counts tests, failures, errors, skipped', async () => {
    const {stdout, exitCode} = await run(['doctor', '--root', tree('host-2008'), '--format', 'junit'])
    assert.equal(exitCode, 1)
    assert.match(stdout, /^<\?xml version="1\.0"/)
    const cases = stdout.match(/<testcase /g)!.length
    const failures = stdout.match(/<failure /g)!.length
    const skipped = stdout.match(/<skipped /g)!.length
    assert.ok(cases >= 25)
    assert.equal(stdout.match(/<testcase [^>]*time="\d+\.\d{3}"/g)!.length, cases)
    const suite = /<testsuite ([^>]*)>/.exec(stdout)![1]
    assert.match(suite, new RegExp(`tests="${cases}" failures="${failures}" errors="0" skipped="${skipped}" time="[\\d.]+"`))
    assert.match(suite, /timestamp="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d" hostname="[^"]+"/)
    assert.match(stdout, /<testcase classname="c1m\.doctor\.accept" name="accept\.somaxconn: [^"]*" time="[\d.]+"><failure type="fail"/)
    assert.match(stdout, new RegExp(`<property name="c1m.version" value="${VERSION.replaceAll('.', '\\.')}"/>`))
  })
  it('junit: a FAIL is a failure at every --fail-on; a WARN is skipped with a message unless --fail-on warn', async () => {
    const fails = (await runJson<DoctorReport>(['doctor', '--root', tree('host-2008'), '--fail-on', 'none'])).envelope.result.summary.fail
    const warns = (await runJson<DoctorReport>(['doctor', '--root', tree('host-2008'), '--fail-on', 'none'])).envelope.result.summary.warn
    assert.ok(fails > 0 && warns > 0)
    for (const failOn of ['none', 'fail']) {
      const {stdout} = await run(['doctor', '--root', tree('host-2008'), '--format', 'junit', '--fail-on', failOn])
      assert.equal(stdout.match(/<failure type="fail"/g)?.length, fails, failOn)
      assert.equal(stdout.match(/<failure type="warn"/g), null, failOn)
      assert.equal(stdout.match(/<skipped type="warn" message="WARN: /g)?.length, warns, failOn)
      assert.match(stdout, new RegExp(`<testsuite [^>]*failures="${fails}"`))
    }
    const {stdout} = await run(['doctor', '--root', tree('host-2008'), '--format', 'junit', '--fail-on', 'warn'])
    assert.equal(stdout.match(/<failure type="warn"/g)?.length, warns)
    assert.match(stdout, new RegExp(`<testsuite [^>]*failures="${fails + warns}"`))
  })
  it('markdown: a table per area with fixes', async () => {
    const {stdout} = await run(['doctor', '--root', tree('host-2008'), '--format', 'markdown'])
    assert.match(stdout, /^## c1m doctor: 1,000,000 server connections/)
    assert.match(stdout, /\| \*\*FAIL\*\* \| `accept\.somaxconn` \| 128 \| >= 16,384 \|/)
    assert.match(stdout, /### Fixes/)
  })
})

describe('c1m doctor bad input', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--conns', 'abc'], /--conns must be a positive whole number of connections, got "abc"/],
    [['--conns', '-5'], /--conns must be a positive whole number/],
    [['--conns', '0'], /--conns must be a positive whole number/],
    [['--role', 'x'], /Expected --role=x to be one of: server, client, loopback/],
    [['--root', '/nonexistent-c1m'], /--root \/nonexistent-c1m does not exist/],
    [['--pid', '999999999'], /--pid 999999999: no such process/],
    [['--skip', 'no.such-check'], /--skip no\.such-check is not a check ID/],
    [['--format', 'xml'], /Expected --format=xml to be one of/],
  ]
  for (const [args, message] of cases) {
    it(`${args.join(' ')}: one line on stderr and exit 2`, async () => {
      const {stderr, stdout, exitCode} = await run(['doctor', ...args])
      assert.equal(exitCode, 2)
      assert.equal(stdout, '')
      const lines = stderr.trim().split('\n')
      assert.equal(lines.length, 1, stderr)
      assert.match(lines[0], message)
      assert.match(lines[0], /\[E_[A-Z_]+, exit 2\]$/)
    })
  }
  it('under --json the error is a JSON envelope', async () => {
    const {envelope, exitCode} = await runJson(['doctor', '--conns', 'abc'])
    assert.equal(exitCode, 2)
    assert.equal(envelope.status, 2)
    assert.equal(envelope.error?.code, 'E_USAGE')
  })
})
