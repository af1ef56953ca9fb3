// c1m probe --client-hosts K [--nat]: the clients on K simulated hosts (namespaces of their own,
// bridged to the server's, each with its subnet), optionally behind a masquerading router, so
// that the server sees remote addresses and, with --nat, conntrack holds every connection.
// Everything lives in namespaces the run makes and deletes; the host's settings are untouched.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'

import {execa} from 'execa'

import {conntrackEntryBytes} from '../src/core/estimate/socket-cost.js'
import {readMemory} from '../src/host/read/memory.js'
import {hostRoot} from '../src/host/files/root.js'
import {REPO_ROOT, run, runJson} from './helpers.js'
import {findProgram} from './server-helpers.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'

const isRoot = process.getuid?.() === 0
const nft = findProgram('nft')
const dir = mkdtempSync(path.join(os.tmpdir(), 'c1m-hosts-'))
after(() => rmSync(dir, {recursive: true, force: true}))

async function probeNamespaces(): Promise<string[]> {
  return (await execa('ip', ['netns', 'list'])).stdout.split('\n').map((line) => line.split(' ')[0]).filter((n) => n.startsWith('c1m-probe-'))
}

/** Run a probe that holds its connections, and list the server namespace's established peers meanwhile. */
async function peersDuringHold(args: string[]): Promise<{peers: string[]; report: ProbeRunReport; exit: number | null}> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/run.js'), 'probe', '--json', '--hold', '3s', ...args], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, C1M_PROBE_DIR: 'off', NO_COLOR: '1'}})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  const held = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no hold within 60 s: ${stderr}`)), 60_000)
    child.stderr.on('data', (chunk) => {
      stderr += chunk
      const ns = /in network namespace (\S+) /.exec(stderr)
      if (ns && /holding/i.test(stderr)) {
        clearTimeout(timer)
        resolve(ns[1])
      }
    })
  })
  let peers: string[] = []
  try {
    const ns = await held
    const ss = await execa('ip', ['netns', 'exec', ns, 'ss', '-Htn', 'state', 'established'], {timeout: 10_000})
    peers = ss.stdout.split('\n').filter(Boolean).map((line) => line.trim().split(/\s+/).at(-1)!.replace(/:\d+$/, ''))
  } finally {
    if ((await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('running'), 30_000))])) === 'running') child.kill('SIGKILL')
  }
  return {peers, report: JSON.parse(stdout).result as ProbeRunReport, exit: await exited}
}

describe('c1m probe --client-hosts', {skip: isRoot ? false : 'needs root for namespaces'}, () => {
  it('3 hosts: every connection opens and echoes, the server sees each host\'s own address, nothing is left', async () => {
    const {peers, report, exit} = await peersDuringHold(['--conns', '3000', '--steps', '2', '--client-hosts', '3'])
    assert.equal(exit, 0, (report.fit.problems ?? []).join('; '))
    assert.equal(report.echo?.echoed, 3000)
    assert.deepEqual(report.isolation.clientHosts?.addresses, [['10.201.1.2'], ['10.201.2.2'], ['10.201.3.2']])
    assert.equal(report.isolation.clientHosts?.nat, false)
    assert.ok(peers.length >= 3000, `server namespace holds ${peers.length} established sockets`)
    assert.deepEqual([...new Set(peers)].sort(), ['10.201.1.2', '10.201.2.2', '10.201.3.2'])
    assert.equal(report.conntrack, undefined, 'no NAT, no conntrack figure')
    assert.deepEqual(await probeNamespaces(), [])
  })

  it('--nat: the server sees only the router, conntrack grows by one slab object per connection, estimate takes the figure', {skip: nft || process.env.CI ? false : 'nftables is not installed (.ci/run installs it)'}, async () => {
    const {peers, report, exit} = await peersDuringHold(['--conns', '8000', '--steps', '2', '--client-hosts', '4', '--nat'])
    assert.equal(exit, 0, (report.fit.problems ?? []).join('; '))
    assert.equal(report.echo?.echoed, 8000)
    assert.deepEqual([...new Set(peers)], ['10.202.0.1'], 'masqueraded behind the router address')
    const formula = conntrackEntryBytes(readMemory(hostRoot('/')).slab)
    assert.ok(report.conntrack, 'a conntrack figure')
    assert.ok(Math.abs(report.conntrack.bytesPerConn - formula) / formula < 0.15, `measured ${report.conntrack.bytesPerConn} B, slab object ${formula} B`)
    assert.deepEqual(await probeNamespaces(), [])

    const file = path.join(dir, 'nat.json')
    const {writeFileSync} = await import('node:fs')
    writeFileSync(file, JSON.stringify(report))
    const {envelope} = await runJson<{conntrack: {counted: boolean; measuredEntryBytes?: number}}>(['estimate', '--conns', '1M', '--calibration', file, '--conntrack', 'on'])
    assert.equal(envelope.result.conntrack.measuredEntryBytes, report.conntrack.bytesPerConn)
    assert.ok(readFileSync(file, 'utf8').length > 0)
  })

  const refusals: Array<[string, string[], number, RegExp]> = [
    ['--nat without --client-hosts', ['--nat'], 2, /--client-hosts/],
    ['--client-hosts with --no-netns', ['--client-hosts', '2', '--no-netns'], 2, /needs network namespaces, and --no-netns asks for none/],
    ['--client-hosts 0', ['--client-hosts', '0'], 2, /client-hosts/],
    ['more hosts than connections', ['--client-hosts', '5', '--conns', '4', '--steps', '2'], 2, /--conns 4 is fewer than --client-hosts 5/],
  ]
  for (const [name, args, exit, message] of refusals) {
    it(`refuses ${name} in one line before making anything`, async () => {
      const {exitCode, stderr} = await run(['probe', ...args])
      assert.equal(exitCode, exit, stderr)
      assert.match(stderr, message)
      assert.equal(stderr.trim().split('\n').length, 1, stderr)
      assert.deepEqual(await probeNamespaces(), [])
    })
  }
})
