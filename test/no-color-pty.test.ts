import assert from 'node:assert/strict'
import path from 'node:path'
import {describe, it} from 'node:test'

import {execa} from 'execa'

import {BIN, FIXTURES} from './helpers.js'

const ESC = '\u001B['

/**
 * Run c1m on a pseudo-terminal (util-linux `script`), as a person at a terminal would: colour is
 * chosen from the terminal there. CI and NO_COLOR are taken out of the environment first (chalk
 * turns colour off under CI), TERM is a colour terminal, then each case adds what it tests.
 */
async function onTerminal(args: string[], env: Record<string, string> = {}): Promise<string> {
  const base: Record<string, string | undefined> = {...process.env, TERM: 'xterm-256color', CI: undefined, NO_COLOR: undefined, FORCE_COLOR: undefined, ...env}
  const command = ['node', BIN, ...args].map((a) => `'${a}'`).join(' ')
  const result = await execa('script', ['-qec', command, '/dev/null'], {env: base, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore'})
  assert.ok(!result.timedOut, 'timed out')
  return result.stdout
}

const doctor = ['doctor', '--root', path.join(FIXTURES, 'host-2008'), '--fail-on', 'none']

describe('colour on a terminal', () => {
  it('is there by default', async () => {
    const out = await onTerminal(doctor)
    assert.ok(out.includes(ESC), 'no ANSI escape in the output on a terminal')
    assert.match(out, /FAIL/)
  })
  it('NO_COLOR=1 removes it', async () => {
    const out = await onTerminal(doctor, {NO_COLOR: '1'})
    assert.match(out, /FAIL/)
    assert.ok(!out.includes(ESC), JSON.stringify(out.slice(out.indexOf(ESC) - 20, out.indexOf(ESC) + 20)))
  })
  it('--no-color removes it', async () => {
    const out = await onTerminal([...doctor, '--no-color'])
    assert.match(out, /FAIL/)
    assert.ok(!out.includes(ESC), JSON.stringify(out.slice(out.indexOf(ESC) - 20, out.indexOf(ESC) + 20)))
  })
  it('an empty NO_COLOR does not (no-color.org: set and not empty)', async () => {
    const out = await onTerminal(doctor, {NO_COLOR: ''})
    assert.ok(out.includes(ESC))
  })
})
