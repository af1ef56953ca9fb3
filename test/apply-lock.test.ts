// One apply or revert at a time on a target: the loser exits 9 and says who holds the lock;
// a holder killed with -9 leaves no lock behind.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import type {ApplyResult} from '../src/commands/apply.js'
import {runCli as run} from './helpers.js'
import {makeSandbox, removeSandbox, treeSnapshot} from './sandbox-tree.js'
import {eventually} from './spawn-c1m.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Does PID hold an exclusive flock on this file or directory now (a line of /proc/locks)? */
function holdsFlock(pid: number, file: string): boolean {
  const line = new RegExp(`^\\d+: FLOCK\\s+ADVISORY\\s+WRITE\\s+${pid}\\s+[0-9a-f]+:[0-9a-f]+:${statSync(file).ino}\\s`, 'm')
  return line.test(readFileSync('/proc/locks', 'utf8'))
}

describe('apply and revert hold an exclusive lock on the target', () => {
  it('20 pairs of concurrent applies: exactly one wins each time, and revert restores every byte', async () => {
    const sb = makeSandbox()
    try {
      const before = treeSnapshot(sb)
      for (let i = 0; i < 20; i++) {
        const first = run<ApplyResult>(['apply', '-p', 'million', '--root', sb, '--yes', '--json'])
        await sleep(Math.random() * 20)
        const second = run<ApplyResult>(['apply', '-p', 'million', '--root', sb, '--yes', '--json'])
        const outs = await Promise.all([first, second])
        const winners = outs.filter((o) => o.exit === 0 && o.result?.applied)
        assert.equal(winners.length, 1, `pair ${i}: exits ${outs.map((o) => o.exit).join(', ')}`)
        // The other lost the lock or found the record (9), or planned after the winner had finished
        // and had nothing to change.
        const loser = outs.find((o) => o !== winners[0])!
        assert.ok(loser.exit === 9 || (loser.exit === 0 && loser.result?.applied === false && loser.result.changes === 0), `pair ${i}: ${loser.stdout.slice(0, 300)}`)
        const reverted = await run(['revert', '--root', sb])
        assert.equal(reverted.exit, 0, `pair ${i}: ${reverted.stderr}`)
        assert.deepEqual(treeSnapshot(sb), before, `pair ${i}`)
      }
    } finally {
      removeSandbox(sb)
    }
  })

  it('the loser names the holder, and a holder killed with -9 leaves no lock', async () => {
    const sb = makeSandbox()
    // flock --no-fork: the holding process is `sleep` itself, which we kill by PID
    const holder = spawn('flock', ['--no-fork', '--exclusive', sb, 'sleep', '30'], {stdio: 'ignore'})
    const exited = new Promise((resolve) => holder.once('exit', resolve))
    try {
      await eventually(() => holdsFlock(holder.pid!, sb), {what: `flock holding ${sb}`})
      mkdirSync(path.join(sb, 'var/lib/c1m'), {recursive: true})
      writeFileSync(path.join(sb, 'var/lib/c1m/lock'), JSON.stringify({pid: holder.pid, command: 'c1m apply -p million', since: '2026-11-22T23:00:00.000Z'}))
      const before = treeSnapshot(sb)
      for (const args of [['apply', '-p', 'million', '--root', sb, '--yes'], ['revert', '--root', sb]]) {
        const out = await run(args)
        assert.equal(out.exit, 9, out.stderr)
        assert.match(out.stderr, new RegExp(`is locked by another apply or revert: PID ${holder.pid} \\(c1m apply -p million\\), since 2026-11-22T23:00:00.000Z.*\\[E_LOCKED, exit 9\\]`))
      }
      assert.deepEqual(treeSnapshot(sb), before)
      holder.kill('SIGKILL')
      await exited
      const out = await run(['apply', '-p', 'million', '--root', sb, '--yes'])
      assert.equal(out.exit, 0, out.stderr)
      assert.equal((await run(['revert', '--root', sb])).exit, 0)
    } finally {
      holder.kill('SIGKILL')
      removeSandbox(sb)
    }
  })
})
