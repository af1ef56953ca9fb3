// Whatever apply records, revert accepts: every profile and every combination of apply's
// file-writing flags, applied into a copy of a saved `c1m snapshot` tree (which has no
// /etc/systemd/system, no limits.d, no modprobe.d, no /var), then reverted; the tree must come
// back byte for byte, directories included.
import assert from 'node:assert/strict'
import {cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import {FIXTURES, REPO_ROOT, runCli as run} from './helpers.js'
import {treeSnapshot} from './sandbox-tree.js'

const PROFILES = readdirSync(path.join(REPO_ROOT, 'profiles')).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5))

/** A copy of a saved tree with a service user in its passwd (for --user). */
function copyTree(name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-every-flag-'))
  cpSync(path.join(FIXTURES, name), dir, {recursive: true})
  writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nsvc:x:990:990::/var/empty:/sbin/nologin\n')
  return dir
}

async function applyThenRevert(tree: string, flags: string[]): Promise<void> {
  const sb = copyTree(tree)
  try {
    const before = treeSnapshot(sb)
    const applied = await run(['apply', ...flags, '--root', sb, '--yes'])
    assert.ok(applied.exit === 0, `apply ${flags.join(' ')}: exit ${applied.exit}: ${applied.stderr}`)
    if (/Nothing to change/.test(applied.stdout)) return
    const reverted = await run(['revert', '--root', sb])
    assert.equal(reverted.exit, 0, `revert after apply ${flags.join(' ')}: ${reverted.stderr}`)
    assert.deepEqual(treeSnapshot(sb), before, `apply ${flags.join(' ')} then revert`)
    // Nothing left for a next run to refuse.
    assert.equal((await run(['revert', '--root', sb])).exit, 8)
  } finally {
    rmSync(sb, {recursive: true, force: true})
  }
}

describe('apply then revert gives back a saved tree byte for byte, for every flag', () => {
  for (const tree of ['stock-modern', 'tuned-1m']) {
    for (const profile of PROFILES) {
      it(`${tree}: --profile ${profile}`, () => applyThenRevert(tree, ['-p', profile]))
    }
  }
  const systemd = [[], ['--unit', 'web'], ['--unit', 'web.service'], ['--systemd-default']]
  const users = [[], ['--user', 'svc']]
  const live = [[], ['--persist-only']]
  for (const s of systemd) {
    for (const u of users) {
      for (const l of live) {
        const flags = ['-p', 'million', '--conns', '1M', ...s, ...u, ...l]
        it(`stock-modern: ${flags.join(' ')}`, () => applyThenRevert('stock-modern', flags))
      }
    }
  }
  for (const extra of [['--allow-lower'], ['--role', 'loopback'], ['--role', 'client'], ['--conns', '2.5M', '--role', 'loopback', '--unit', 'web']]) {
    const flags = ['-p', 'million', ...extra]
    it(`tuned-1m: ${flags.join(' ')}`, () => applyThenRevert('tuned-1m', flags))
  }

  it('--forget after apply --unit into a saved tree drops the record and the directories it made', async () => {
    const sb = copyTree('stock-modern')
    try {
      const before = treeSnapshot(sb)
      assert.equal((await run(['apply', '-p', 'million', '--unit', 'web', '--persist-only', '--root', sb, '--yes'])).exit, 0)
      const out = await run(['revert', '--forget', '--root', sb])
      assert.equal(out.exit, 0, out.stderr)
      assert.match(out.stdout, /directory \/etc\/systemd\/system \(created by apply\)/)
      const after = treeSnapshot(sb)
      assert.equal(after['var/'], undefined, 'the state directories apply made are gone')
      assert.ok(Object.keys(after).length > Object.keys(before).length, 'the files apply wrote stay (nothing is undone)')
    } finally {
      rmSync(sb, {recursive: true, force: true})
    }
  })
})
