// Profile values are written as the integers they are (never `1e+38`), a number that is not a
// plain integer is refused, and a YAML alias bomb is one E_BAD_PROFILE line, at once.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import {runCli} from './helpers.js'
import {makeSandbox, readSandbox, removeSandbox} from './sandbox-tree.js'

const run = (args: string[]) => runCli(args, {timeout: 30_000})

const profile = (name: string, somaxconn: string, extra = '') => `name: ${name}
summary: a test profile
source:
  file: test.txt
sysctl:
  net.core.somaxconn:
    value: ${somaxconn}
    section: test
${extra}`

function withProfile(name: string, text: string, body: (file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-profile-'))
  const file = path.join(dir, `${name}.yaml`)
  writeFileSync(file, text)
  return body(file).finally(() => rmSync(dir, {recursive: true, force: true}))
}

describe('profile values are exact integers', () => {
  for (const digits of ['100000000000000000000000000000000000000', '18446744073709551615']) {
    it(`${digits} is planned and written as those digits`, async () => {
      await withProfile('huge', profile('huge', digits), async (file) => {
        const sb = makeSandbox()
        try {
          const plan = await run(['apply', '-p', file, '--root', sb, '--dry-run', '--json'])
          assert.equal(plan.exit, 0, plan.stderr)
          assert.equal((plan.result as {plan: {key?: string; value?: string}[]}).plan.find((r) => r.key === 'net.core.somaxconn')?.value, digits)
          const out = await run(['apply', '-p', file, '--root', sb, '--yes'])
          assert.equal(out.exit, 0, out.stderr)
          assert.doesNotMatch(out.stdout, /e\+/)
          assert.match(readSandbox(sb, 'etc/sysctl.d/90-c1m.conf'), new RegExp(`^net\\.core\\.somaxconn = ${digits}$`, 'm'))
          assert.equal(readSandbox(sb, 'proc/sys/net/core/somaxconn'), `${digits}\n`)
        } finally {
          removeSandbox(sb)
        }
      })
    })
  }

  for (const written of ['1e38', '1.5e20']) {
    it(`${written} is refused with one E_BAD_PROFILE line`, async () => {
      await withProfile('float', profile('float', written), async (file) => {
        const out = await run(['apply', '-p', file, '--dry-run'])
        assert.equal(out.exit, 2, out.stderr)
        assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr)
        assert.match(out.stderr, new RegExp(`float\\.yaml:7: sysctl\\.net\\.core\\.somaxconn\\.value: must be a whole number.*${written.replace('.', '\\.')}.*\\[E_BAD_PROFILE, exit 2\\]`))
      })
    })
  }
})

describe('a YAML alias bomb in a profile', () => {
  it('is one E_BAD_PROFILE line within seconds, not a hang or a crash', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i)
      const name = String.fromCharCode(97 + i)
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`)
    }
    await withProfile('bomb', profile('bomb', '4096', levels.join('\n') + '\n'), async (file) => {
      const started = Date.now()
      const out = await run(['apply', '-p', file, '--dry-run'])
      assert.ok(Date.now() - started < 20_000)
      assert.equal(out.exit, 2, out.stderr)
      assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr)
      assert.match(out.stderr, /bomb\.yaml:1: yaml: cannot be expanded: .*alias.*\[E_BAD_PROFILE, exit 2\]/)
      assert.equal(readFileSync(file, 'utf8').includes('*h'), true)
    })
  })
})
