// Issue 8: bad input gets one clear line, the documented exit code and nothing half-written,
// through the real binary.
import assert from 'node:assert/strict'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import type {DoctorReport} from '../src/core/doctor/run-doctor.js'
import {FIXTURES, run, runJson} from './helpers.js'

const scratch = mkdtempSync(path.join(os.tmpdir(), 'c1m-bad-input-'))
after(() => rmSync(scratch, {recursive: true, force: true}))

/** A copy of the tuned-1m fixture with some files replaced. */
function treeWith(name: string, files: Record<string, string>): string {
  const dir = path.join(scratch, name)
  cpSync(path.join(FIXTURES, 'tuned-1m'), dir, {recursive: true})
  for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(dir, rel), text)
  return dir
}

async function oneLineExit2(args: string[], message: RegExp, code = 'E_USAGE'): Promise<void> {
  const {stdout, stderr, exitCode} = await run(args, {timeout: 30_000})
  assert.equal(exitCode, 2, stderr)
  assert.equal(stdout, '')
  const lines = stderr.trim().split('\n')
  assert.equal(lines.length, 1, stderr)
  assert.match(lines[0], message)
  assert.match(lines[0], new RegExp(`\\[${code}, exit 2\\]$`))
}

describe('counts with commas', () => {
  it('reads 1,000,000 as a million', async () => {
    const {envelope} = await runJson<DoctorReport>(['doctor', '--root', path.join(FIXTURES, 'tuned-1m'), '--conns', '1,000,000'])
    assert.equal(envelope.result.target.conns, 1_000_000)
  })
  for (const conns of ['1,5', '1,000,0000', '10,00']) {
    it(`--conns ${conns} is exit 2, not a misread number`, () => oneLineExit2(['doctor', '--conns', conns], /commas may only separate thousands in groups of three/))
  }
})

describe('estimate --ram with no unit', () => {
  it('--ram 1.5 is exit 2 and asks whether GiB was meant', () => oneLineExit2(['estimate', '--conns', '1000', '--ram', '1.5'], /--ram 1\.5 is not a whole number of bytes \(1\.5 GiB\?\)/))
  it('--ram 1.5GiB is read as 1.5 GiB', async () => {
    const {envelope, exitCode} = await runJson<{ram: {bytes: number}}>(['estimate', '--conns', '1000', '--ram', '1.5GiB'])
    assert.equal(exitCode, 0)
    assert.equal(envelope.result.ram.bytes, 1.5 * 1024 ** 3)
  })
})

describe('snapshot to a place that cannot hold a directory', () => {
  const file = path.join(scratch, 'a-file')
  writeFileSync(file, 'x')
  const cases: Array<[string, RegExp]> = [
    [file, /a-file is a file, not a directory/],
    [path.join(file, 'sub'), /a-file is a file, so .*a-file\/sub cannot be a directory under it/],
    ['/proc/c1m-test-foo', /\/proc\/c1m-test-foo is under \/proc, a kernel filesystem/],
    ['/sys/c1m-test-foo', /is under \/sys/],
    ['/dev/c1m-test-foo', /is under \/dev/],
  ]
  for (const [target, message] of cases) {
    it(`snapshot ${target}: one line, exit 2, nothing written`, async () => {
      const before = readdirSync(scratch).sort()
      await oneLineExit2(['snapshot', target], message)
      assert.deepEqual(readdirSync(scratch).sort(), before)
      assert.ok(!existsSync(`${target}.partial-`))
    })
  }
  it('refuses a symlink that leads into /proc', async () => {
    const link = path.join(scratch, 'to-proc')
    symlinkSync('/proc', link)
    await oneLineExit2(['snapshot', path.join(link, 'x')], /is under \/proc/)
  })
})

describe('host files that are not what doctor expects', () => {
  it('proc/meminfo linked to /dev/urandom is a read failure, not a hang', async () => {
    const dir = treeWith('urandom', {})
    rmSync(path.join(dir, 'proc/meminfo'))
    symlinkSync('/dev/urandom', path.join(dir, 'proc/meminfo'))
    const {envelope, exitCode} = await runJson<DoctorReport>(['doctor', '--root', dir, '--fail-on', 'none'], {timeout: 20_000})
    assert.equal(exitCode, 0)
    const ram = envelope.result.results.find((r) => r.id === 'ram.connections')!
    assert.equal(ram.status, 'skip')
    assert.match(ram.reason!, /meminfo/)
  })
  it('estimate --calibration /dev/urandom is exit 2, not a hang', () => oneLineExit2(['estimate', '--conns', '1000', '--calibration', '/dev/urandom'], /--calibration \/dev\/urandom: not a regular file/))
  it('a meminfo past the 4 MiB read cap is a read failure with the reason', async () => {
    const dir = treeWith('huge', {'proc/meminfo': 'MemTotal: 1000 kB\n'.padEnd(5 * 1024 * 1024, 'x')})
    const {stderr, exitCode} = await run(['estimate', '--conns', '1000', '--root', dir], {timeout: 20_000})
    assert.equal(exitCode, 2)
    assert.match(stderr, /\/proc\/meminfo: larger than 4 MiB, the most c1m reads of it/)
  })
  it('an empty tcp_mem and a word in fs.file-max are malformed: skipped with the reason, never NaN or undefined', async () => {
    const dir = treeWith('malformed', {'proc/sys/net/ipv4/tcp_mem': '\n', 'proc/sys/fs/file-max': 'abc\n', 'proc/sys/net/ipv4/ip_local_port_range': '1024\n'})
    const {envelope} = await runJson<DoctorReport>(['doctor', '--root', dir, '--role', 'client'])
    const byId = Object.fromEntries(envelope.result.results.map((r) => [r.id, r]))
    for (const id of ['tcpmem.limit', 'tcpmem.units', 'fd.file-max', 'ports.range']) assert.equal(byId[id].status, 'skip', id)
    assert.match(byId['tcpmem.limit'].reason!, /net\.ipv4\.tcp_mem is malformed: "" \(expected 3 integers\)/)
    assert.match(byId['fd.file-max'].reason!, /fs\.file-max is malformed: "abc" \(expected an integer\)/)
    assert.match(byId['ports.range'].reason!, /expected 2 integers/)
    const table = await run(['doctor', '--root', dir, '--role', 'client'])
    assert.doesNotMatch(table.stdout, /NaN|undefined/)
    assert.doesNotMatch(JSON.stringify(envelope), /NaN|undefined|null,"current"/)
  })
})

describe("a snapshot's addresses.json that is not one", () => {
  for (const [label, text] of [['not JSON', '{bad'], ['not a list', '{"a": 1}'], ['a list of nulls', '[null]']]) {
    it(`${label}: the address checks skip with the reason, no crash`, async () => {
      const dir = treeWith(`addresses-${label.replaceAll(' ', '-')}`, {'c1m/addresses.json': text})
      const {envelope, exitCode, stderr} = await runJson<DoctorReport>(['doctor', '--root', dir, '--role', 'client', '--fail-on', 'none'])
      assert.equal(exitCode, 0, stderr)
      assert.doesNotMatch(stderr, /SyntaxError|TypeError|at /)
      const skipped = envelope.result.results.filter((r) => r.status === 'skip' && /addresses\.json/.test(r.reason ?? ''))
      assert.ok(skipped.length > 0, JSON.stringify(envelope.result.results.map((r) => [r.id, r.status, r.reason])))
    })
  }
})

describe('doctor --pid of a kernel thread', () => {
  it('--pid 2 (kthreadd) is exit 2, not a ulimit fix', () => oneLineExit2(['doctor', '--pid', '2'], /PID 2 is a kernel thread; pass the PID of your server/))
})

describe('doctor --root that is not a saved host tree', () => {
  const empty = path.join(scratch, 'empty')
  mkdirSync(empty)
  for (const [label, dir] of [['an empty directory', empty], ['/tmp', os.tmpdir()]]) {
    it(`${label}: exit 2 with the hint, not "Ready"`, () => oneLineExit2(['doctor', '--root', dir], /has no proc\/sys: it is not a saved host tree; write one with `c1m snapshot DIR`/, 'E_BAD_ROOT'))
  }
  it("--root '' is exit 2", () => oneLineExit2(['doctor', '--root', ''], /--root is empty/, 'E_BAD_ROOT'))
})
