import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import path from 'node:path'
import {describe, it} from 'node:test'

import {validateProbeReport} from '../src/core/probe/fit-report.js'
import {assertHeld, endNotes, REPO_ROOT, runJson} from './helpers.js'
import type {ProbeRunReport} from '../src/core/probe/run-report.js'

/** Start a process and wait for a line on the given stream that matches; bounded. */
async function startAndWait(command: string, args: string[], stream: 'stdout' | 'stderr', pattern: RegExp): Promise<{child: ChildProcess; match: RegExpExecArray}> {
  const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe']})
  let text = ''
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} from ${command}: ${text}`)), 15_000)
    child[stream]!.on('data', (chunk) => {
      text += chunk
      const found = pattern.exec(text)
      if (found) {
        clearTimeout(timer)
        resolve(found)
      }
    })
  })
  return {child, match}
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.on('exit', resolve))
  child.kill(signal)
  await exited
}

describe('c1m probe --target --server-pid: measure your own server', () => {
  it('opens the connections to a c1m server and measures its process tree', async () => {
    const {child, match} = await startAndWait(process.execPath, [path.join(REPO_ROOT, 'bin/run.js'), 'server', '--port', '0', '--workers', '1', '--duration', '60s'], 'stderr', /listening on (127\.0\.0\.1:\d+) /)
    try {
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--target', match[1], '--server-pid', String(child.pid), '--conns', '3000', '--steps', '3', '--settle', '50ms'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const report = validateProbeReport(envelope.result) as ProbeRunReport
      assert.equal(report.engine, 'external')
      // c1m server itself and its one echo worker.
      assert.deepEqual(report.target, {endpoint: match[1], serverPid: child.pid, serverProcesses: 2, clientEngine: 'native'})
      assert.equal(report.isolation.netns, null)
      assert.match(report.isolation.reason, /--target/)
      assert.deepEqual(report.samples.map((s) => s.established), [0, 1000, 2000, 3000])
      assert.deepEqual([report.echo?.sent, report.echo?.echoed], [3000, 3000])
      // The tree's memory is sampled: node's runtime alone is tens of MiB.
      assert.ok(report.samples.every((s) => s.server.rss > 20 * 1024 ** 2), 'server tree RSS')
      assert.ok(report.fit.kernel.bytesPerSocket > 1024, `kernel ${report.fit.kernel.bytesPerSocket} bytes per socket`)
    } finally {
      await stop(child, 'SIGINT')
    }
  })

  it('gives a node server that keeps state per connection its bytes per connection', async () => {
    // Not an echo server: it keeps 4 KiB per connection and never answers.
    const code = "const net=require('node:net');const keep=new Set();net.createServer((s)=>{s.state=Buffer.alloc(4096,1);keep.add(s);s.on('close',()=>keep.delete(s));s.on('error',()=>{})}).listen(0,'127.0.0.1',function(){console.log('port '+this.address().port)})"
    const {child, match} = await startAndWait(process.execPath, ['-e', code], 'stdout', /port (\d+)/)
    try {
      const {envelope, exitCode, stderr} = await runJson<ProbeRunReport>(['probe', '--target', `127.0.0.1:${match[1]}`, '--server-pid', String(child.pid), '--conns', '4000', '--steps', '2', '--settle', '200ms', '--no-echo', '--engine', 'node'])
      assertHeld(exitCode, stderr + endNotes(envelope))
      const report = envelope.result
      assert.equal(report.echo, undefined)
      assert.equal(report.target?.serverProcesses, 1)
      assert.equal(report.samples.at(-1)!.established, 4000)
      assert.ok(report.fit.server.bytesPerConn > 4096, `server ${report.fit.server.bytesPerConn} bytes per connection`)
    } finally {
      await stop(child, 'SIGKILL')
    }
  })

  it('refuses a PID that does not exist, and --target without --server-pid', async () => {
    const gone = await runJson(['probe', '--target', '127.0.0.1:9', '--server-pid', '999999999', '--conns', '100'])
    assert.equal(gone.exitCode, 2)
    assert.equal(gone.envelope.error?.code, 'E_NO_PROCESS')
    const alone = await runJson(['probe', '--target', '127.0.0.1:9', '--conns', '100'])
    assert.equal(alone.exitCode, 2)
    assert.equal(alone.envelope.error?.code, 'E_USAGE')
  })
})
