// Every reader of another host's file ends in a result or one c1m line with its documented code,
// never a raw TypeError, RangeError or ReferenceError (issue 21). Real files (doctor --json of the
// fixture trees, two real client results, committed probe reports), mutated deterministically
// (test/fuzz-mutate.ts, seeded), fed to doctor --merge, probe --merge and estimate --calibration.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {realClientResults} from './client-results-files.js'
import {mutate, prng} from './fuzz-mutate.js'
import {FIXTURES, REPO_ROOT, run, type RunResult} from './helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-fuzz-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/** Mutations per reader: bounded, each a c1m run of about half a second. */
const RUNS = 30
const CONCURRENCY = 3
/** What a crash looks like on stderr: a JavaScript error's name or a stack frame. */
const CRASH = /TypeError|RangeError|ReferenceError|SyntaxError|Maximum call stack|\n\s+at /

interface Reader {
  name: string
  sources: () => string[]
  args: (file: string, other: string | undefined) => string[]
  /** The exit codes its documentation gives: 0, the findings or incomplete code, 2, 3. */
  exits: number[]
}

const doctorReports: string[] = []
let clientResults: string[] = []
const probeReports = [path.join(REPO_ROOT, 'reports/probe-100k-node.json'), path.join(FIXTURES, 'probe-small.json')].map((f) => readFileSync(f, 'utf8'))

before(async () => {
  for (const tree of ['stock-modern', 'host-2008']) doctorReports.push((await run(['doctor', '--json', '--fail-on', 'none', '--root', path.join(FIXTURES, tree)])).stdout)
  clientResults = await realClientResults()
})

const READERS: Reader[] = [
  // 1: a host fails a check (doctor's findings code)
  {name: 'doctor --merge', sources: () => doctorReports, args: (f, o) => ['doctor', '--merge', f, ...(o ? [o] : [])], exits: [0, 1, 2]},
  // 10: the merged run is not complete
  {name: 'probe --merge', sources: () => clientResults, args: (f, o) => ['probe', '--merge', f, ...(o ? [o] : [])], exits: [0, 2, 10]},
  // 3: the estimate does not fit the host
  {name: 'estimate --calibration', sources: () => probeReports, args: (f) => ['estimate', '--conns', '100k', '--calibration', f, '--root', path.join(FIXTURES, 'estimate-host')], exits: [0, 2, 3]},
]

/** Check one run: a documented code, no crash, and a refusal is one c1m line. */
function judge(reader: Reader, result: RunResult, label: string): void {
  assert.ok(reader.exits.includes(result.exitCode), `${label}: exit ${result.exitCode}: ${result.stderr.slice(0, 400)}`)
  assert.doesNotMatch(result.stderr, CRASH, `${label}: ${result.stderr.slice(0, 400)}`)
  if (result.exitCode === 2) assert.match(result.stderr.trim(), /^c1m: [^\n]+\[E_(BAD_REPORT|USAGE), exit 2\]$/, label)
  if (reader.name === 'doctor --merge' && result.exitCode === 1) assert.match(result.stdout, /^c1m doctor --merge: /, `${label}: exit 1 is findings, with the table`)
}

async function inBatches<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += CONCURRENCY) await Promise.all(items.slice(i, i + CONCURRENCY).map(work))
}

describe('the readers of other hosts\' files, fuzzed', () => {
  for (const [r, reader] of READERS.entries()) {
    it(`${reader.name}: ${RUNS} mutated real files each end in a documented code, never a crash`, async () => {
      const random = prng(0x5eed + r)
      const cases = Array.from({length: RUNS}, (_, i) => {
        const sources = reader.sources()
        const source = sources[i % sources.length]
        const {text, what} = mutate(source, random)
        const file = path.join(dir, `${r}-${i}.json`)
        writeFileSync(file, text)
        // The merges take the other file too, unchanged: the mutation must not hide behind a first refusal
        const other = sources.length > 1 && reader.name !== 'estimate --calibration' ? path.join(dir, `${r}-${i}-other.json`) : undefined
        if (other) writeFileSync(other, sources[(i + 1) % sources.length])
        return {file, other, label: `${reader.name} #${i} (${what})`}
      })
      await inBatches(cases, async ({file, other, label}) => judge(reader, await run(reader.args(file, other)), label))
    })
  }

  it('doctor --merge: the seven hostile files of the issue, one named __proto__.json', async () => {
    const real = JSON.parse(doctorReports[0])
    const variants: Array<[string, unknown]> = [
      ['__proto__.json', real],
      ['null.json', null],
      ['array.json', [real]],
      ['numbers.json', {...real, result: {...real.result, host: {...real.result.host, kernel: 6, hostname: 7}, target: {conns: 1e6, role: 5}}}],
      ['strings.json', {...real, result: {...real.result, summary: 'pass', firstBreak: 'fd.nofile-hard', host: 'h'}}],
      ['missing.json', {...real, result: {schema: real.result.schema, results: real.result.results}}],
      ['huge.json', {...real, result: {...real.result, target: {conns: 1e308, role: 'server'}, summary: {pass: 1e300, warn: 0, fail: 0, skip: 0}}}],
    ]
    for (const [name, doc] of variants) {
      const file = path.join(dir, name)
      writeFileSync(file, JSON.stringify(doc))
      const result = await run(['doctor', '--merge', file, '--fail-on', 'none'])
      judge(READERS[0], result, name)
      if (name === '__proto__.json') {
        assert.equal(result.exitCode, 0, result.stderr)
        assert.match(result.stdout, /__proto__/)
      }
    }
  })

  it('--json answers with the envelope for 100,000 nested arrays, as the result or inside a field it carries', async () => {
    const real = JSON.parse(doctorReports[0])
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
    real.result.target.note = '@@DEEP@@'
    for (const [name, text] of [['deep-result.json', `{"status":0,"result":${deep}}`], ['deep-field.json', JSON.stringify(real).replace('"@@DEEP@@"', deep)]]) {
      const file = path.join(dir, name)
      writeFileSync(file, text)
      const {stdout, exitCode, stderr} = await run(['doctor', '--merge', file, '--json'])
      assert.equal(exitCode, 2, `${name}: ${stderr}`)
      assert.doesNotMatch(stderr, CRASH)
      assert.equal(JSON.parse(stdout).error.code, 'E_BAD_REPORT')
      assert.match(JSON.parse(stdout).error.message, name === 'deep-field.json' ? /nested more than 64 levels deep/ : /not a JSON object|nested/)
    }
  })

  it('probe --merge: a stopped that is not text is refused in one line', async () => {
    const doc = JSON.parse(clientResults[0])
    doc.result.stopped = {reason: 7}
    const file = path.join(dir, 'stopped.json')
    writeFileSync(file, JSON.stringify(doc))
    const result = await run(['probe', '--merge', file])
    judge(READERS[1], result, 'stopped')
    assert.match(result.stderr, /stopped is not text/)
  })
})
