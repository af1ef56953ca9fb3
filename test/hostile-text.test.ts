// Control characters from other hosts' files never reach a terminal, an XML file or a metrics file
// raw (issue 21): one sanitizer (src/core/clean-text.ts) cleans every string where it is read.
import assert from 'node:assert/strict'
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {cleanJson, cleanLine, cleanText} from '../src/core/clean-text.js'
import {FIXTURES, REPO_ROOT, run} from './helpers.js'
import {findProgram} from './server-helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-hostile-text-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/** Clear the screen, set the window title, a bell, a carriage return over the line, a NUL. */
const HOSTILE = '\u001b[2J\u001b]0;owned\u0007evil\rhost\u0000\u009b31m\u202egnp.exe'
/** What may be in c1m's output: printable text, tab and newline. */
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/
const xmllint = findProgram('xmllint')
const promtool = findProgram('promtool')
const missing = (tool: string | undefined, pkg: string) => (tool || process.env.CI ? false : `${pkg} is not installed`)

const root = path.join(dir, 'tree')
cpSync(path.join(FIXTURES, 'tuned-1m'), root, {recursive: true})
writeFileSync(path.join(root, 'proc/sys/kernel/hostname'), `${HOSTILE}\n`)
writeFileSync(path.join(root, 'proc/sys/kernel/osrelease'), `6.1.0${HOSTILE}\n`)
const addresses = JSON.parse(readFileSync(path.join(root, 'c1m/addresses.json'), 'utf8')) as Array<{iface: string}>
for (const a of addresses) a.iface = `${a.iface}${HOSTILE}`
writeFileSync(path.join(root, 'c1m/addresses.json'), JSON.stringify(addresses))

describe('the sanitizer', () => {
  it('turns every control character but tab and newline into "?", keeps CRLF as a line end', () => {
    assert.equal(cleanText('a\u001b[31mb\tc\r\nd\re\u0000\u0007\u009b'), 'a?[31mb\tc\nd?e???')
    assert.equal(cleanLine('a\nb\tc\u2028'), 'a?b?c?')
    const doc = JSON.parse('{"__proto__": {"x": 1}, "k\\u001b": ["\\u001b[2J", {"n": 1}]}')
    const clean = cleanJson(doc)
    assert.ok(clean.ok)
    assert.deepEqual(JSON.parse(JSON.stringify(clean.value)), {'k?': ['?[2J', {n: 1}]})
    assert.equal(Object.getPrototypeOf(clean.value), Object.prototype)
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000))
    assert.deepEqual(cleanJson(deep), {ok: false, reason: 'nested more than 64 levels deep'})
  })
})

describe('doctor --root of a tree whose hostname and osrelease carry escape sequences', () => {
  it('the text output has no raw control character', async () => {
    const {stdout, stderr} = await run(['doctor', '--root', root, '--fail-on', 'none'])
    assert.match(stdout, /Linux 6\.1\.0\?\[2J\?\]0;owned\?evil\?host\?\?31m\?gnp\.exe/)
    assert.doesNotMatch(stdout + stderr, RAW)
  })

  it("--role client (the saved interfaces' names) and --json carry no raw control character either", async () => {
    const text = await run(['doctor', '--root', root, '--role', 'client', '--fail-on', 'none'])
    const json = await run(['doctor', '--root', root, '--role', 'client', '--fail-on', 'none', '--json'])
    assert.doesNotMatch(text.stdout + text.stderr, RAW)
    assert.doesNotMatch(json.stdout, /\\u001b|\\u0007|\\r|\\u0000/)
    assert.equal(JSON.parse(json.stdout).result.host.hostname, '?[2J?]0;owned?evil?host??31m?gnp.exe')
  })

  it('--format junit is well-formed XML (xmllint --noout)', {skip: missing(xmllint, 'libxml2-utils')}, async () => {
    const {stdout, exitCode} = await run(['doctor', '--root', root, '--format', 'junit', '--fail-on', 'none'])
    assert.equal(exitCode, 0)
    const file = path.join(dir, 'doctor.xml')
    writeFileSync(file, stdout)
    const lint = await execa(xmllint!, ['--noout', file], {reject: false})
    assert.equal(lint.exitCode, 0, lint.stderr)
    assert.doesNotMatch(stdout, RAW)
  })

  it('--format prometheus passes promtool check metrics', {skip: missing(promtool, 'prometheus')}, async () => {
    const {stdout} = await run(['doctor', '--root', root, '--format', 'prometheus', '--fail-on', 'none'])
    const lint = await execa(promtool!, ['check', 'metrics'], {input: `${stdout}\n`, reject: false})
    assert.equal(lint.exitCode, 0, `${lint.stdout}${lint.stderr}`)
    assert.match(stdout, /kernel="6\.1\.0\?\[2J/)
    assert.doesNotMatch(stdout, RAW)
  })
})

describe('files from other hosts', () => {
  it('doctor --merge: a file whose name and content carry ESC prints none, in the table or the error line', async () => {
    const {stdout: report} = await run(['doctor', '--root', root, '--json', '--fail-on', 'none'])
    const doc = JSON.parse(report)
    doc.result.host.kernel = HOSTILE
    doc.result.results[0].title = HOSTILE
    if (doc.result.firstBreak) doc.result.firstBreak.fix = HOSTILE
    const file = path.join(dir, `host\u001b[31m${HOSTILE.replaceAll('\u0000', '')}.json`)
    writeFileSync(file, JSON.stringify(doc))
    const merged = await run(['doctor', '--merge', file, '--fail-on', 'none'])
    assert.equal(merged.exitCode, 0, merged.stderr)
    assert.match(merged.stdout, /host\?\[31m\?\[2J/)
    assert.doesNotMatch(merged.stdout + merged.stderr, RAW)
    const json = await run(['doctor', '--merge', file, '--fail-on', 'none', '--json'])
    assert.doesNotMatch(JSON.stringify(JSON.parse(json.stdout)), /\\u001b|\\u0007/)
    // And the one error line of a file that is not a report
    writeFileSync(file, JSON.stringify({schema: HOSTILE}))
    const refused = await run(['doctor', '--merge', file])
    assert.equal(refused.exitCode, 2)
    assert.match(refused.stderr, /is not a c1m doctor report: schema is "\?\[2J/)
    assert.doesNotMatch(refused.stderr, RAW)
  })

  it("estimate --calibration: a report from a host whose kernel string carries ESC warns without it", async () => {
    const doc = JSON.parse(readFileSync(path.join(REPO_ROOT, 'reports/probe-100k-node.json'), 'utf8'))
    doc.host.kernel = `5.4${HOSTILE}`
    const file = path.join(dir, 'calib.json')
    writeFileSync(file, JSON.stringify(doc))
    const {stdout, stderr, exitCode} = await run(['estimate', '--conns', '100k', '--calibration', file, '--root', path.join(FIXTURES, 'estimate-host')])
    assert.match(stdout + stderr, /5\.4\?\[2J/, 'the warning names the report\'s kernel')
    assert.doesNotMatch(stdout + stderr, RAW)
    assert.ok([0, 3].includes(exitCode), stderr)
  })
})
