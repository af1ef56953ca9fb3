// c1m server out of descriptors: each connection it could not hold is refused once and counted once.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import {describe, it} from 'node:test'

import {REPO_ROOT} from './helpers.js'

/** Open `count` connections to port and count those the server closes, waiting at most `ms`. */
async function openAndCountClosed(port: number, count: number, ms: number): Promise<{closed: number; sockets: net.Socket[]}> {
  const sockets: net.Socket[] = []
  let closed = 0
  for (let i = 0; i < count; i++) {
    const s = net.connect(port, '127.0.0.1')
    s.on('error', () => {})
    s.on('close', () => closed++)
    sockets.push(s)
  }
  await new Promise((resolve) => setTimeout(resolve, ms))
  return {closed, sockets}
}

describe('c1m server counts each refused connection once', () => {
  it('with 64 descriptors, 150 connections: rejected equals the connections it closed', async () => {
    // prlimit gives the server (and the native worker it starts) 64 descriptors.
    const child = spawn('prlimit', ['--nofile=64:64', '--', process.execPath, path.join(REPO_ROOT, 'bin/run.js'), 'server', '--port', '0', '--json'], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000)
        child.stderr.on('data', (chunk) => {
          stderr += chunk
          const match = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr)
          if (match) {
            clearTimeout(timer)
            resolve(Number(match[1]))
          }
        })
      })
      const {closed, sockets} = await openAndCountClosed(port, 150, 2000)
      child.kill('SIGINT')
      const code = await exited
      for (const s of sockets) s.destroy()
      const result = JSON.parse(stdout).result as {accepted: number; rejected: number}
      assert.equal(code, 0)
      assert.ok(closed > 0, 'the server held every connection: the limit did not bite')
      assert.equal(result.rejected, closed)
      assert.equal(result.accepted + result.rejected, 150)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
