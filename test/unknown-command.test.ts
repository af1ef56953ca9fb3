import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {run, runJson, VERSION} from './helpers.js'

/** One c1m line on stderr, nothing on stdout, exit 2: the README's promise for an unknown command. */
async function oneUsageLine(args: string[]): Promise<string> {
  const {stdout, stderr, exitCode} = await run(args)
  assert.equal(exitCode, 2, `c1m ${args.join(' ')}: ${stderr}`)
  assert.equal(stdout, '')
  const lines = stderr.trim().split('\n')
  assert.equal(lines.length, 1, stderr)
  assert.match(lines[0], /^c1m: .+ \[E_USAGE, exit 2\]$/)
  return lines[0]
}

describe('what a new user types: one c1m line and exit 2, never oclif\'s two lines and 127', () => {
  it('c1m estimate 1M: estimate takes no argument, and the line says to give it as --conns', async () => {
    const line = await oneUsageLine(['estimate', '1M'])
    assert.match(line, /estimate takes no arguments, got "1M" \(did you mean c1m estimate --conns 1M\?\)/)
    const json = await runJson(['estimate', '1M'])
    assert.equal(json.exitCode, 2)
    assert.equal(json.envelope.status, 2)
    assert.equal(json.envelope.error?.code, 'E_USAGE')
    assert.match(json.envelope.error!.message, /--conns 1M/)
  })

  it('c1m doctor extra-arg, also with --json (an envelope, not oclif\'s warning)', async () => {
    const line = await oneUsageLine(['doctor', 'extra-arg'])
    assert.match(line, /doctor takes no arguments, got "extra-arg"; see c1m doctor --help/)
    const json = await runJson(['doctor', 'extra-arg'])
    assert.equal(json.exitCode, 2)
    assert.equal(json.stderr, '')
    assert.deepEqual([json.envelope.status, json.envelope.error?.code], [2, 'E_USAGE'])
    assert.match(json.envelope.error!.message, /extra-arg/)
  })

  it('c1m profiles shwo: an unknown subcommand gets the nearest one of its topic', async () => {
    const line = await oneUsageLine(['profiles', 'shwo'])
    assert.match(line, /profiles shwo is not a c1m command \(did you mean c1m profiles show\?\); c1m help profiles lists its commands/)
  })

  it('an unknown flag before any command is one line too', async () => {
    const line = await oneUsageLine(['--conns', '1M'])
    assert.match(line, /--conns is not a c1m command; the command comes first/)
  })

  it('c1m version, c1m -v and c1m --version print the version and exit 0', async () => {
    for (const args of [['version'], ['-v'], ['--version']]) {
      const {stdout, stderr, exitCode} = await run(args)
      assert.equal(exitCode, 0, `c1m ${args.join(' ')}: ${stderr}`)
      assert.equal(stderr, '')
      assert.match(stdout.trim(), new RegExp(`^c1m/${VERSION.replaceAll('.', '\\.')} linux-`))
    }
  })

  it('c1m -h is the help, as --help', async () => {
    const {stdout, exitCode} = await run(['-h'])
    assert.equal(exitCode, 0)
    assert.match(stdout, /^COMMANDS$/m)
  })

  it("a usage error in a plugin's command (help, autocomplete) is one c1m line too", async () => {
    assert.match(await oneUsageLine(['help', 'doctr']), /^c1m: Command doctr not found; c1m help lists the commands/)
    assert.match(await oneUsageLine(['autocomplete', 'zsh', 'extra']), /^c1m: Unexpected argument: extra;/)
  })

  it('an error from a subcommand names it with a space, as it is typed', async () => {
    const {stderr, exitCode} = await run(['profiles', 'show'])
    assert.equal(exitCode, 2)
    assert.match(stderr, /see c1m profiles show --help/)
  })
})
