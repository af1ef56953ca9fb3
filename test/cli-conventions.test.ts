import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {FIXTURES, REPO_ROOT, run, runJson, VERSION} from './helpers.js'

const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {examples?: unknown[]; flags: Record<string, {type: string}>}>}
const tmp = mkdtempSync(path.join(os.tmpdir(), 'c1m-conventions-'))
after(() => rmSync(tmp, {recursive: true, force: true}))
const HOST = path.join(FIXTURES, 'estimate-host')

describe('oclif plugins: help, not-found, autocomplete', () => {
  it('c1m help lists the commands; c1m help doctor shows doctor', async () => {
    const all = await run(['help'])
    assert.equal(all.exitCode, 0, all.stderr)
    for (const id of ['doctor', 'apply', 'estimate', 'probe', 'snapshot']) assert.match(all.stdout, new RegExp(`^  ${id} `, 'm'), id)
    const doctor = await run(['help', 'doctor'])
    assert.equal(doctor.exitCode, 0, doctor.stderr)
    assert.match(doctor.stdout, /\$ c1m doctor /)
    assert.match(doctor.stdout, /--fail-on=LEVEL/)
  })

  it('a mistyped command: one line with the nearest command, exit 2; an envelope under --json', async () => {
    const {stdout, stderr, exitCode} = await run(['doctr', '--conns', '1M'])
    assert.equal(exitCode, 2)
    assert.equal(stdout, '')
    assert.equal(stderr.trim(), 'c1m: doctr is not a c1m command (did you mean c1m doctor?); c1m help lists the commands [E_USAGE, exit 2]')
    const json = await runJson(['estimat'])
    assert.equal(json.exitCode, 2)
    assert.equal(json.envelope.error?.code, 'E_USAGE')
    assert.match(json.envelope.error!.message, /did you mean c1m estimate\?/)
  })

  it('c1m autocomplete prints the set-up for the shell', async () => {
    const cache = path.join(tmp, 'cache')
    const {stdout, exitCode, stderr} = await run(['autocomplete', 'bash'], {env: {XDG_CACHE_HOME: cache}})
    assert.equal(exitCode, 0, stderr)
    assert.match(stdout, /c1m autocomplete/i)
    assert.ok(existsSync(path.join(cache, 'c1m', 'autocomplete')), 'the completion cache is built under XDG_CACHE_HOME')
  })
})

describe('help names every value and every command has examples', () => {
  for (const id of Object.keys(manifest.commands)) {
    it(`${id}`, async () => {
      assert.ok((manifest.commands[id].examples ?? []).length > 0, `${id} has no examples`)
      const {stdout, exitCode} = await run([...id.split(':'), '--help'])
      assert.equal(exitCode, 0)
      assert.doesNotMatch(stdout, /<value>|<option>/, stdout.split('\n').filter((l) => /<value>|<option>/.test(l)).join('\n'))
      assert.match(stdout, /--no-color/)
    })
  }
})

describe('a missing required flag in c1m words', () => {
  it('says which flag, with an example from the command', async () => {
    const {stderr, exitCode} = await run(['estimate'])
    assert.equal(exitCode, 2)
    assert.equal(stderr.trim(), 'c1m: --conns is required, e.g. c1m estimate --conns 1M [E_USAGE, exit 2]')
    const client = await run(['client'])
    assert.match(client.stderr.trim(), /^c1m: --target and --conns are required, e.g. c1m client --target 127\.0\.0\.1:9000 --conns 50k \[E_USAGE, exit 2\]$|^c1m: --conns and --target are required, e.g. c1m client --conns 50k --target 127\.0\.0\.1:9000 \[E_USAGE, exit 2\]$/)
    const json = await runJson(['estimate'])
    assert.equal(json.envelope.error?.message, '--conns is required, e.g. c1m estimate --conns 1M')
  })
})

describe('--out FILE: the extension picks the format', () => {
  it('estimate --out a.json --out a.html writes both; the JSON is the stamped result', async () => {
    const json = path.join(tmp, 'e.json')
    const html = path.join(tmp, 'e.html')
    const {envelope, exitCode} = await runJson<{json: string; html: string}>(['estimate', '--conns', '100k', '--root', HOST, '--out', json, '--out', html])
    assert.equal(exitCode, 0)
    assert.deepEqual([envelope.result.json, envelope.result.html], [json, html])
    const written = JSON.parse(readFileSync(json, 'utf8'))
    assert.deepEqual([written.schema, written.version, written.conns], ['c1m.estimate/1', VERSION, 100_000])
    assert.match(readFileSync(html, 'utf8'), /^<!doctype html>/)
  })
  for (const command of [['estimate', '--conns', '1k', '--root', HOST], ['probe', '--conns', '100', '--steps', '2']]) {
    it(`${command[0]} --out report.txt is a usage error before anything runs`, async () => {
      const file = path.join(tmp, `${command[0]}.txt`)
      const {stderr, exitCode} = await run([...command, '--out', file])
      assert.equal(exitCode, 2)
      assert.match(stderr, /--out .*report|the extension picks the format/)
      assert.equal(existsSync(file), false)
    })
  }
})

describe('every JSON result names its schema and the c1m version', () => {
  const cases: Array<[string[], string]> = [
    [['doctor', '--root', path.join(FIXTURES, 'tuned-1m')], 'c1m.doctor/1'],
    [['estimate', '--conns', '1M', '--root', HOST], 'c1m.estimate/1'],
    [['profiles'], 'c1m.profiles/1'],
    [['profiles', 'show', 'million', '--root', path.join(FIXTURES, 'tuned-1m')], 'c1m.profiles-show/1'],
    [['apply', '--profile', 'million', '--root', path.join(FIXTURES, 'tuned-1m'), '--dry-run'], 'c1m.apply/1'],
  ]
  for (const [args, schema] of cases) {
    it(`${args.slice(0, 2).join(' ')}: ${schema}`, async () => {
      const {envelope} = await runJson<{schema: string; version: string}>(args)
      assert.equal(envelope.result.schema, schema)
      assert.equal(envelope.result.version, VERSION)
    })
  }
})
