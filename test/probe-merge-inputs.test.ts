// probe --merge adds counts, not text; counts no file twice; and takes the bare client result
// (the `result` of `c1m client --json`) as well as the envelope, as its help says (issue 21).
import assert from 'node:assert/strict'
import {linkSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {realClientResults} from './client-results-files.js'
import {run, runJson} from './helpers.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-merge-inputs-'))
after(() => rmSync(dir, {recursive: true, force: true}))
let outputs: string[] = []
const file = (name: string, doc: unknown) => {
  const f = path.join(dir, name)
  writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc))
  return f
}

before(async () => {
  outputs = await realClientResults()
})

describe('c1m probe --merge inputs', () => {
  it('takes the bare result of `c1m client --json` as it takes the envelope', async () => {
    const bare = outputs.map((o, i) => file(`bare-${i + 1}.json`, JSON.parse(o).result))
    const {envelope, exitCode} = await runJson<{conns: number; established: number; complete: boolean}>(['probe', '--merge', ...bare])
    assert.equal(exitCode, 0, JSON.stringify(envelope.error))
    assert.deepEqual([envelope.result.conns, envelope.result.established, envelope.result.complete], [60, 60, true])
  })

  it('refuses a count written as text ("7"), which was joined into "070", not added', async () => {
    const docs = outputs.map((o) => JSON.parse(o))
    docs[0].result.echo.mismatched = '7'
    const files = docs.map((d, i) => file(`text-count-${i + 1}.json`, d))
    const {stdout, stderr, exitCode} = await run(['probe', '--merge', ...files])
    assert.equal(exitCode, 2)
    assert.match(stderr, /text-count-1\.json is not a c1m client result: echo is not counts.*\[E_BAD_REPORT, exit 2\]$/)
    assert.doesNotMatch(stdout, /070/)
  })

  it('refuses one file given twice (unsharded, by two names) instead of counting it twice as complete', async () => {
    const unsharded = JSON.parse(outputs[0])
    delete unsharded.result.shard
    const one = file('host-a.json', unsharded)
    linkSync(one, path.join(dir, 'host-a-again.json'))
    const {stdout, stderr, exitCode} = await run(['probe', '--merge', one, path.join(dir, 'host-a-again.json')])
    assert.equal(exitCode, 2, stdout)
    assert.match(stderr, /host-a\.json and .*host-a-again\.json are the same file; give each client host's result once \[E_USAGE, exit 2\]$/)
    assert.doesNotMatch(stdout, /complete/)
  })
})
