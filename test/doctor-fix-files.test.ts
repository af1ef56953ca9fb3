// Doctor's fixes keep what they set in files of the admin's own, never in a file apply writes
// (revert deletes or restores those whole); revert keeps a file changed since apply wrote it;
// doctor's tcp_mem fix is the value apply writes for the same connections.
import assert from 'node:assert/strict'
import {appendFileSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {APPLY_FILES} from '../src/core/profile/apply-state.js'
import {FIXTURES, runCli as run, runJson} from './helpers.js'
import {makeSandbox, removeSandbox, treeSnapshot} from './sandbox-tree.js'

interface Result {
  id: string
  fix?: string
}

async function doctorFixes(root: string, conns: string, extra: string[] = []): Promise<Result[]> {
  const {envelope} = await runJson<{results: Result[]}>(['doctor', '--root', root, '--conns', conns, ...extra])
  return envelope.result.results
}

describe("doctor's fixes never write a file apply owns", () => {
  for (const tree of ['stock-modern', 'host-2008']) {
    it(`${tree}: every fix that keeps a setting names a 91-c1m-local.conf, none of apply's files`, async () => {
      const fixes = (await doctorFixes(path.join(FIXTURES, tree), '1M', ['--role', 'loopback'])).filter((r) => r.fix)
      assert.ok(fixes.length > 3, 'the tree needs fixes')
      for (const r of fixes) {
        for (const owned of APPLY_FILES) assert.ok(!r.fix!.includes(owned), `${r.id}: ${r.fix}`)
        assert.doesNotMatch(r.fix!, /90-c1m\.conf/, `${r.id}: ${r.fix}`)
      }
      assert.ok(fixes.some((r) => r.fix!.includes(">> /etc/sysctl.d/91-c1m-local.conf")))
    })
  }

  for (const conns of ['1M', '3M']) {
    it(`the tcp_mem fix for ${conns} connections is the value apply -p million writes`, async () => {
      const root = path.join(FIXTURES, 'stock-modern')
      const fix = (await doctorFixes(root, conns)).find((r) => r.id === 'tcpmem.limit')?.fix
      assert.ok(fix, 'doctor proposes a tcp_mem fix here')
      const plan = await runJson<{plan: {key?: string; value?: string}[]}>(['apply', '-p', 'million', '--conns', conns, '--root', root, '--dry-run'])
      const value = plan.envelope.result.plan.find((r) => r.key === 'net.ipv4.tcp_mem')?.value
      assert.ok(value)
      assert.ok(fix.includes(`net.ipv4.tcp_mem = ${value}'`), `doctor: ${fix}; apply: ${value}`)
    })
  }
})

describe('revert keeps a file changed since apply wrote it', () => {
  for (const existed of [false, true]) {
    it(`${existed ? 'a replaced' : 'a created'} 90-c1m.conf with a line added by hand is kept, said so, and stays in the record`, async () => {
      const sb = makeSandbox(existed ? {'etc/sysctl.d/90-c1m.conf': 'vm.swappiness = 10\n'} : {})
      try {
        const before = treeSnapshot(sb)
        assert.equal((await run(['apply', '-p', 'million', '--conns', '1M', '--root', sb, '--yes'])).exit, 0)
        const file = path.join(sb, 'etc/sysctl.d/90-c1m.conf')
        appendFileSync(file, "net.core.somaxconn = 65535\n")
        const edited = readFileSync(file, 'utf8')
        const out = await run(['revert', '--root', sb])
        assert.equal(out.exit, 3, out.stderr)
        assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr)
        assert.match(out.stderr, /restore \/etc\/sysctl\.d\/90-c1m\.conf: it was changed since apply wrote it, so it is kept as it is/)
        assert.equal(readFileSync(file, 'utf8'), edited, 'the admin\'s line is still there')
        assert.match(readFileSync(path.join(sb, 'var/lib/c1m/state.json'), 'utf8'), /90-c1m\.conf/)
        // Once the hand-made line is gone, revert finishes and the tree is as it was.
        const applied = edited.slice(0, edited.length - 'net.core.somaxconn = 65535\n'.length)
        writeFileSync(file, applied)
        assert.equal((await run(['revert', '--root', sb])).exit, 0)
        assert.deepEqual(treeSnapshot(sb), before)
      } finally {
        removeSandbox(sb)
      }
    })
  }
})
