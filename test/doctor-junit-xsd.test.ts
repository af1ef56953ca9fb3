import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {FIXTURES, run} from './helpers.js'

const XSD = path.join(FIXTURES, 'junit/junit-10.xsd')
const found = await execa('sh', ['-c', 'command -v xmllint'], {reject: false})
// CI installs libxml2-utils (.ci/run): there a missing xmllint is a failure, not a skip.
const skip = found.exitCode === 0 || process.env.CI ? false : 'xmllint is not installed (apt-get install libxml2-utils; .ci/run does)'

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-junit-'))
after(() => rmSync(dir, {recursive: true, force: true}))

async function validate(xml: string, name: string): Promise<{ok: boolean; output: string}> {
  const file = path.join(dir, `${name}.xml`)
  writeFileSync(file, xml)
  const result = await execa('xmllint', ['--noout', '--schema', XSD, file], {reject: false, timeout: 30_000})
  return {ok: result.exitCode === 0, output: `${result.stdout}${result.stderr}`}
}

describe('c1m doctor --format junit against the Jenkins/Ant junit-10.xsd', {skip}, () => {
  const cases: Array<[string, string[]]> = [
    ['host-2008, failures', ['--root', path.join(FIXTURES, 'host-2008')]],
    ['host-2008 --fail-on warn', ['--root', path.join(FIXTURES, 'host-2008'), '--fail-on', 'warn']],
    ['host-2008 --fail-on none', ['--root', path.join(FIXTURES, 'host-2008'), '--fail-on', 'none']],
    ['empty tree, mostly skipped', ['--root', path.join(FIXTURES, 'empty-tree')]],
    ['tuned host, a profile', ['--root', path.join(FIXTURES, 'tuned-1m'), '--profile', 'million', '--role', 'client']],
  ]
  for (const [name, args] of cases) {
    it(`${name}: valid`, async () => {
      const {stdout} = await run(['doctor', '--format', 'junit', ...args])
      assert.match(stdout, /<testsuite /)
      const {ok, output} = await validate(stdout, name.replaceAll(/\W+/g, '-'))
      assert.ok(ok, output)
    })
  }

  it('the schema check is real: a suite without its errors count is rejected', async () => {
    const {stdout} = await run(['doctor', '--format', 'junit', '--root', path.join(FIXTURES, 'host-2008')])
    const broken = stdout.replace(/(<testsuite [^>]*) errors="0"/, '$1')
    assert.notEqual(broken, stdout)
    const {ok, output} = await validate(broken, 'broken')
    assert.equal(ok, false)
    assert.match(output, /errors/)
  })
})
