// `c1m server --app ...` for the dialect tests: started here, its port read from its progress
// line, stopped with SIGINT (by its PID), its --json result read.
import {spawn} from 'node:child_process'
import {on} from 'node:events'
import path from 'node:path'

import {REPO_ROOT} from './helpers.js'

/** The parts of `c1m server --json`'s result these tests read. */
export interface ServerResult {
  accepted: number
  app: {sessions: number; refused: number; heartbeats: number; timeouts: number; events: number}
}

export interface AppServer {
  port: number
  pid: number
  /** SIGINT, then the exit code and the parsed --json result. */
  stop(): Promise<{code: number | null; result: ServerResult}>
}

/** Start `c1m server --port 0 --json ARGS` and wait (30 s at most) for its "listening on" line. */
export async function startAppServer(args: string[]): Promise<AppServer> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/run.js'), 'server', '--port', '0', '--json', ...args], {stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  let said = ''
  let port = 0
  try {
    for await (const [chunk] of on(child.stderr, 'data', {signal: AbortSignal.timeout(30_000)})) {
      said += chunk
      const match = /listening on [\d.]+:(\d+) \(/.exec(said)
      if (match) {
        port = Number(match[1])
        break
      }
    }
  } catch (error) {
    child.kill('SIGKILL')
    throw new Error(`c1m server ${args.join(' ')} did not start: ${said} (${String(error)})`)
  }
  return {
    port,
    pid: child.pid!,
    async stop() {
      child.kill('SIGINT')
      const code = await exited
      return {code, result: JSON.parse(stdout).result}
    },
  }
}

/** Wait until check() holds, polling every 20 ms, for at most ms; throws with what the caller says. */
export async function until(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
