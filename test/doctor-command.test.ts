import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {DoctorReport} from '../src/core/evaluate.js'
import {FIXTURES, run, runJson} from './helpers.js'

const tree = (name: string) => path.join(FIXTURES, name)

describe('c1m doctor --json', () => {
  it('prints one versioned document in the envelope and exits 0 without --fail-on', async () => {
    const {envelope, exitCode} = await runJson<DoctorReport>(['doctor', '--root', tree('host-2008')])
    assert.equal(exitCode, 0)
    assert.equal(envelope.status, 0)
    assert.equal(envelope.result.schema, 'c1m.doctor/1')
    assert.deepEqual(envelope.result.target, {conns: 1_000_000, role: 'server'})
    assert.equal(envelope.result.firstBreak?.id, 'fd.nofile-hard')
    assert.ok(envelope.result.results.length >= 25)
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
    assert.equal(exitCode, 0)
    for (const area of ['File descriptors', 'Accept queue', 'Conntrack', 'TCP memory', 'RAM', 'Configuration hygiene', 'Kernel log symptoms']) assert.ok(stdout.includes(area), area)
    const last = stdout.trim().split('\n').at(-1)!
    assert.match(last, /^For 1,000,000 server connections, fd\.nofile-hard .* breaks first at about 960 connections\. Fix: /)
  })
  it('junit: one testcase per check, failures counted', async () => {
    const {stdout} = await run(['doctor', '--root', tree('host-2008'), '--format', 'junit', '--fail-on', 'fail'])
    assert.match(stdout, /^<\?xml version="1\.0"/)
    const cases = stdout.match(/<testcase /g)!.length
    const failures = stdout.match(/<failure /g)!.length
    assert.ok(cases >= 25)
    assert.match(stdout, new RegExp(`<testsuites name="c1m" tests="${cases}" failures="${failures}">`))
    assert.match(stdout, /<testcase classname="c1m\.doctor\.accept" name="accept\.somaxconn: [^"]*"><failure type="fail"/)
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
