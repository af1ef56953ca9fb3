// Real application servers for the --app tests, each in a child node process on 127.0.0.1 that
// prints "port N" first and answers a line "count" on stdin with one JSON line of its own counts
// (sessions it accepted, heartbeats, disconnects): the server's word, not c1m's.
import {type ChildProcess, spawn} from 'node:child_process'
import path from 'node:path'

import {REPO_ROOT} from './helpers.js'

export const MODULES = path.join(REPO_ROOT, 'node_modules')

export interface AppServer {
  port: number
  pid: number
  child: ChildProcess
  /** The server's own counts, read now. */
  counts(): Promise<Record<string, number>>
  /** Send the server a line for its command(). */
  tell(line: string): void
}

/**
 * Start `node -e code`. The code prints "port N" (or "port N M" for two listeners) when listening,
 * and defines `counts()` (returning an object), and may define `command(line)` for other lines; the
 * harness around it answers "count" on stdin. Bounded: 15 s to listen.
 */
export async function startAppServer(code: string, extraPorts = 0): Promise<AppServer & {ports: number[]}> {
  const harness = `${code}
require('node:readline').createInterface({input: process.stdin}).on('line', (line) => {
  if (line === 'count') Promise.resolve(counts()).then((c) => console.log('counts ' + JSON.stringify(c)))
  else if (typeof command === 'function') command(line)
})`
  const child = spawn(process.execPath, ['-e', harness], {stdio: ['pipe', 'pipe', 'inherit'], cwd: REPO_ROOT})
  let text = ''
  const waiters: Array<(line: string) => void> = []
  const ports = await new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the test server did not listen within 15 s: ${text}`)), 15_000)
    child.on('exit', (code) => reject(new Error(`the test server exited with ${code}: ${text}`)))
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      const lines = text.split('\n')
      text = lines.pop()!
      for (const line of lines) {
        const port = /^port ([\d ]+)$/.exec(line)
        if (port) {
          clearTimeout(timer)
          resolve(port[1].split(' ').map(Number))
        } else if (line.startsWith('counts ')) waiters.shift()?.(line.slice(7))
      }
    })
  })
  if (ports.length < 1 + extraPorts) throw new Error(`the test server printed ${ports.length} ports`)
  return {
    port: ports[0],
    ports,
    pid: child.pid!,
    child,
    tell: (line) => child.stdin!.write(`${line}\n`),
    counts: () => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the test server did not answer "count" within 10 s')), 10_000)
      waiters.push((line) => {
        clearTimeout(timer)
        resolve(JSON.parse(line) as Record<string, number>)
      })
      child.stdin!.write('count\n')
    }),
  }
}
