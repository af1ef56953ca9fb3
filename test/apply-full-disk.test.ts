// Whole or not at all on a really full filesystem: a small tmpfs the test mounts (it runs as
// root) is filled to a few KiB, then apply, revert and --out write into it. A short write
// must never leave a cut file where a whole one was meant.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import {FIXTURES, runCli as run} from './helpers.js'
import {makeSandbox, removeSandbox, treeSnapshot} from './sandbox-tree.js'

const isRoot = process.getuid?.() === 0
/** One error line (apply's progress lines, `apply: STEP`, aside). */
const oneLine = (stderr: string) => assert.equal(stderr.trim().split('\n').filter((l) => !l.startsWith('apply: ')).length, 1, stderr)

/** Mount a tmpfs of `size` on a new temp dir, run `body`, always unmount and remove it. */
async function withTmpfs(size: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-full-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir])
  try {
    await body(dir)
  } finally {
    execFileSync('umount', [dir])
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Fill the filesystem of `dir` until about `free` bytes are left (tmpfs counts whole pages). */
function fillTo(dir: string, free: number): void {
  const st = statfsSync(dir)
  const avail = st.bavail * st.bsize
  if (avail > free) writeFileSync(path.join(dir, 'filler'), Buffer.alloc(avail - free, 0x61))
  const left = statfsSync(dir).bavail * st.bsize
  assert.ok(left <= free, `filled to ${left} bytes free`)
}

// An admin's own 90-c1m.conf of 6 KiB: only the record keeps it once apply replaces it.
const ADMIN = Array.from({length: 200}, (_, i) => `# admin line ${String(i).padStart(4, '0')} keep me\n`).join('')

describe('a short write on a full filesystem never leaves a cut file', {skip: !isRoot && 'needs root to mount a tmpfs'}, () => {
  for (const freeKiB of [4, 12, 16, 20, 24, 28]) {
    it(`apply --root with ${freeKiB} KiB free fails whole or succeeds whole, and revert gives back the tree byte for byte`, async () => {
      await withTmpfs('1m', async (mnt) => {
        const template = makeSandbox({'etc/sysctl.d/90-c1m.conf': ADMIN})
        const sb = path.join(mnt, 'tree')
        try {
          cpSync(template, sb, {recursive: true})
        } finally {
          removeSandbox(template)
        }
        fillTo(mnt, freeKiB * 1024)
        const before = treeSnapshot(mnt)
        const out = await run(['apply', '-p', 'million', '--conns', '1M', '--root', sb, '--yes'])
        if (out.exit !== 0) {
          oneLine(out.stderr)
          assert.match(out.stderr, /ENOSPC|no space/, out.stderr)
          assert.deepEqual(treeSnapshot(mnt), before, 'a failed apply leaves the tree as it was')
          return
        }
        // It fitted: the record must be whole, so revert gives back the admin's file.
        rmSync(path.join(mnt, 'filler'))
        const back = await run(['revert', '--root', sb])
        assert.equal(back.exit, 0, back.stderr)
        const after = treeSnapshot(mnt)
        delete (before as Record<string, string>).filler
        assert.deepEqual(after, before)
      })
    })
  }

  it('a rollback that cannot restore a file whole says so and keeps the record', async () => {
    await withTmpfs('1m', async (mnt) => {
      // 48 KiB of the admin's: more than revert frees before it puts the file back.
      const template = makeSandbox({'etc/sysctl.d/90-c1m.conf': ADMIN.repeat(8)})
      const sb = path.join(mnt, 'tree')
      try {
        cpSync(template, sb, {recursive: true})
      } finally {
        removeSandbox(template)
      }
      const before = treeSnapshot(sb)
      assert.equal((await run(['apply', '-p', 'million', '--conns', '1M', '--root', sb, '--yes'])).exit, 0)
      fillTo(mnt, 0)
      const out = await run(['revert', '--root', sb])
      assert.notEqual(out.exit, 0, out.stdout)
      oneLine(out.stderr)
      assert.match(out.stderr, /could not undo everything: .*ENOSPC.*the record keeps what is left/)
      assert.ok(existsSync(path.join(sb, 'var/lib/c1m/state.json')), 'the only copy of the admin file is kept')
      rmSync(path.join(mnt, 'filler'))
      assert.equal((await run(['revert', '--root', sb])).exit, 0)
      assert.deepEqual(treeSnapshot(sb), before)
    })
  })

  it('a full filesystem where the lock holder is written gives one c1m line with its code, never a raw error', async () => {
    await withTmpfs('1m', async (mnt) => {
      const template = makeSandbox()
      const sb = path.join(mnt, 'tree')
      try {
        cpSync(template, sb, {recursive: true})
      } finally {
        removeSandbox(template)
      }
      assert.equal((await run(['apply', '-p', 'million', '--conns', '1M', '--root', sb, '--yes'])).exit, 0)
      fillTo(mnt, 0)
      const before = treeSnapshot(mnt)
      // The state directory exists, so who holds the lock is written first, into a full disk.
      const out = await run(['apply', '-p', 'million', '--conns', '2M', '--root', sb, '--yes'])
      oneLine(out.stderr)
      assert.match(out.stderr, /^c1m: .*\[E_[A-Z_]+, exit \d+\]$/m)
      assert.equal(out.exit, 9, out.stderr) // the earlier apply is recorded: revert first
      assert.deepEqual(treeSnapshot(mnt), before)
    })
  })

  it('doctor --out into a full filesystem fails with one line and leaves no file', async () => {
    await withTmpfs('256k', async (mnt) => {
      mkdirSync(path.join(mnt, 'out'))
      fillTo(mnt, 8 * 1024)
      const file = path.join(mnt, 'out/report.json')
      const out = await run(['doctor', '--root', path.join(FIXTURES, 'stock-modern'), '--conns', '1M', '--out', file])
      assert.doesNotMatch(out.stdout + out.stderr, /written/)
      assert.equal(out.exit, 6, out.stderr)
      oneLine(out.stderr)
      assert.match(out.stderr, /cannot write --out .*ENOSPC/)
      assert.deepEqual(readdirSync(path.join(mnt, 'out')), [])
    })
  })
})
