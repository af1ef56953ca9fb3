// Nothing leaves the target through a hard link, and nothing in a --root tree hangs apply or
// revert: a regular file with a second link (maybe a file outside the tree) and anything that
// is not a regular file (a FIFO) are refused with one E_UNSAFE_PATH line before anything
// changes. Real hard links and real FIFOs, each run bounded by a timeout.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import {runCli} from './helpers.js'
import {withSandbox} from './sandbox-tree.js'

const run = (args: string[]) => runCli(args, {timeout: 30_000})
/** Refused as unsafe: exit 12, said in one line (`what` names the command in the messages). */
const refused = (out: {exit: number; stderr: string}, what?: string) => {
  assert.equal(out.exit, 12, what ? `${what}: ${out.stderr}` : out.stderr)
  assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr)
}
const APPLY = ['apply', '-p', 'million', '--conns', '1M', '--yes']

/** Every entry of a tree: a file's bytes, or its type (a FIFO is never opened), and its link count. */
function treeSnapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name)
      const st = lstatSync(full)
      const rel = path.relative(dir, full)
      if (st.isDirectory()) {
        out[`${rel}/`] = 'dir'
        walk(full)
      } else out[rel] = st.isFile() ? `${st.nlink} ${readFileSync(full).toString('base64')}` : `special ${st.mode.toString(8)}`
    }
  }
  walk(dir)
  return out
}

/** A file outside the sandbox (same filesystem, so it can be hard-linked into it). */
function withVictim(text: string, body: (victim: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-victim-'))
  const victim = path.join(dir, 'precious')
  writeFileSync(victim, text)
  return body(victim).finally(() => rmSync(dir, {recursive: true, force: true}))
}

/**
 * Apply into a fresh sandbox; `spoil` puts something unsafe at its somaxconn file and calls
 * `revertRefused` (revert: exit 12, one line). Then the file is made a file of its own with the applied
 * value again, and revert goes through and gives back the sandbox's 4096.
 */
async function revertRefusedUntilMended(spoil: (file: string, applied: string, revertRefused: () => Promise<void>) => Promise<void>): Promise<void> {
  await withSandbox(async (sb) => {
    assert.equal((await run([...APPLY, '--root', sb])).exit, 0)
    const file = path.join(sb, 'proc/sys/net/core/somaxconn')
    const applied = readFileSync(file, 'utf8')
    await spoil(file, applied, async () => refused(await run(['revert', '--root', sb])))
    unlinkSync(file)
    writeFileSync(file, applied)
    const out = await run(['revert', '--root', sb])
    assert.equal(out.exit, 0, out.stderr)
    assert.equal(readFileSync(file, 'utf8'), '4096\n')
  })
}

describe('a hard link in a --root tree is refused, never written through', () => {
  for (const rel of ['proc/sys/net/core/somaxconn', 'etc/sysctl.d/90-c1m.conf']) {
    it(`apply refuses ${rel} hard-linked to a file outside the root, with one line and exit 12`, async () => {
      await withSandbox(async (sb) => {
        await withVictim('4096\n', async (victim) => {
          rmSync(path.join(sb, rel), {force: true})
          linkSync(victim, path.join(sb, rel))
          const before = treeSnapshot(sb)
          const out = await run([...APPLY, '--root', sb])
          refused(out)
          assert.match(out.stderr, new RegExp(`/${rel} under .* has 2 hard links.*\\[E_UNSAFE_PATH, exit 12\\]`))
          assert.equal(readFileSync(victim, 'utf8'), '4096\n')
          assert.deepEqual(treeSnapshot(sb), before)
        })
      })
    })
  }

  it('revert refuses a /proc/sys file hard-linked out after apply, then reverts once it is a file of its own', async () => {
    await revertRefusedUntilMended(async (file, applied, revertRefused) => withVictim(applied, async (victim) => {
      unlinkSync(file)
      linkSync(victim, file)
      await revertRefused()
      assert.equal(readFileSync(victim, 'utf8'), applied, 'the file outside the root is untouched')
    }))
  })
})

describe('a FIFO in a --root tree is refused at once, never waited on', () => {
  for (const rel of ['etc/sysctl.d/90-c1m.conf', 'var/lib/c1m/state.json', 'var/lib/c1m/lock']) {
    it(`apply and revert refuse a FIFO at ${rel} with one line and exit 12`, async () => {
      await withSandbox(async (sb) => {
        mkdirSync(path.join(sb, path.dirname(rel)), {recursive: true})
        rmSync(path.join(sb, rel), {force: true})
        execFileSync('mkfifo', [path.join(sb, rel)])
        const before = treeSnapshot(sb)
        for (const args of [[...APPLY, '--root', sb], ['revert', '--root', sb]]) {
          const out = await run(args)
          refused(out, args[0])
          assert.match(out.stderr, /is not a regular file \(a FIFO/)
          assert.deepEqual(treeSnapshot(sb), before)
        }
      })
    })
  }

  it('revert refuses a FIFO put at a /proc/sys file after apply, then reverts once it is a file again', async () => {
    await revertRefusedUntilMended(async (file, _applied, revertRefused) => {
      unlinkSync(file)
      execFileSync('mkfifo', [file])
      await revertRefused()
    })
  })
})
