import readline from 'node:readline'

import {execa} from 'execa'

import {C1mError} from '../core/errors.js'
import type {Program} from './engine.js'

/** One line of a probe process's stdout. */
export type ProbeRecord = Record<string, unknown> & {event: string}

/** A running echo server or client, spoken to one command line at a time. */
export interface Peer {
  name: string
  pid: number
  ready: ProbeRecord
  /** Send a command and wait for the one record it answers with. */
  ask(command: string, timeoutMs: number): Promise<ProbeRecord>
  /**
   * Close stdin: the process resets its connections and exits. It is killed only if it
   * lingers past the timeout, since a killed client's sockets close with FIN and sit in TIME_WAIT.
   */
  stop(timeoutMs?: number): Promise<ProbeRecord | undefined>
}

/** Start a probe process and wait for its "ready" line. */
export async function startPeer(program: Program, args: string[], name: string, timeoutMs = 10_000): Promise<Peer> {
  const child = execa(program.file, [...program.args, ...args], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: true,
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000)
  })
  child.stdin!.on('error', () => {}) // the process may be gone when we write; the exit says why

  const lines: string[] = []
  const waiters: Array<{resolve: (line: string) => void; reject: (error: Error) => void}> = []
  let exited: string | undefined
  readline.createInterface({input: child.stdout!}).on('line', (line) => {
    const waiter = waiters.shift()
    if (waiter) waiter.resolve(line)
    else lines.push(line)
  })
  const whyGone = () => `${name} exited (${exited})${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`
  const exitPromise = new Promise<void>((resolve) => {
    // 'close' comes after the process exited and its stdout ended: every line has been read.
    child.on('close', (code, signal) => {
      exited = signal ?? `code ${code}`
      for (const waiter of waiters.splice(0)) waiter.reject(new C1mError('E_PROBE_FAILED', whyGone()))
      resolve()
    })
    child.on('error', () => {})
  })

  function nextRecord(timeoutMs: number, what: string): Promise<ProbeRecord> {
    const parse = (line: string): ProbeRecord => {
      let record: ProbeRecord
      try {
        record = JSON.parse(line) as ProbeRecord
      } catch {
        throw new C1mError('E_PROBE_FAILED', `${name} wrote an unreadable line: ${line.slice(0, 200)}`)
      }
      if (record.event === 'error') throw new C1mError('E_PROBE_FAILED', `${name}: ${String(record.message)}`)
      return record
    }
    const queued = lines.shift()
    if (queued !== undefined) return Promise.resolve().then(() => parse(queued))
    if (exited) return Promise.reject(new C1mError('E_PROBE_FAILED', whyGone()))
    return new Promise<ProbeRecord>((resolve, reject) => {
      const waiter = {
        resolve: (line: string) => {
          clearTimeout(timer)
          try {
            resolve(parse(line))
          } catch (error) {
            reject(error)
          }
        },
        reject: (error: Error) => {
          clearTimeout(timer)
          reject(error)
        },
      }
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1)
        reject(new C1mError('E_PROBE_FAILED', `${name} did not answer "${what}" within ${Math.round(timeoutMs / 1000)} s`))
      }, timeoutMs)
      waiters.push(waiter)
    })
  }

  const kill = async (): Promise<void> => {
    if (exited) return
    child.kill('SIGKILL')
    await exitPromise
  }
  let ready: ProbeRecord
  try {
    ready = await nextRecord(timeoutMs, 'start')
  } catch (error) {
    await kill()
    throw error
  }
  if (ready.event !== 'ready') {
    await kill()
    throw new C1mError('E_PROBE_FAILED', `${name} started with ${ready.event} instead of ready`)
  }

  return {
    name,
    pid: child.pid!,
    ready,
    ask(command, askTimeoutMs) {
      if (exited) return Promise.reject(new C1mError('E_PROBE_FAILED', whyGone()))
      child.stdin!.write(`${command}\n`)
      return nextRecord(askTimeoutMs, command)
    },
    async stop(stopTimeoutMs = 120_000) {
      if (!exited) child.stdin!.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs)
      await exitPromise
      clearTimeout(timer)
      // The last line a process writes as it closes holds its final counters.
      const last = lines.splice(0).at(-1)
      try {
        return last === undefined ? undefined : (JSON.parse(last) as ProbeRecord)
      } catch {
        return undefined
      }
    },
  }
}
