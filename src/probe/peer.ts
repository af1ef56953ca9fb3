import readline from 'node:readline'

import {execa} from 'execa'

import {C1mError} from '../core/errors.js'
import type {Program} from './engine.js'
import {type AnyReply, parseReply, type Replies, type ReplyTo, type Role} from './wire.js'

/** A running echo server or client, spoken to one command line at a time. */
export interface PeerOf<R extends Role> {
  name: string
  pid: number
  ready: Replies[R]['ready']
  /** Send a command and wait for the one reply it answers with, checked (wire.ts). */
  ask<C extends string>(command: C, timeoutMs: number): Promise<ReplyTo<R, C>>
  /**
   * Close stdin: the process resets its connections and exits. It is killed only if it
   * lingers past the timeout, since a killed client's sockets close with FIN and sit in TIME_WAIT.
   * Answers with the last line it wrote as it closed (its final "count"), when that reads as one.
   */
  stop(timeoutMs?: number): Promise<ReplyTo<R, 'count'> | undefined>
}
/** A server, a client, or (Peer alone) either. */
export type Peer<R extends Role = Role> = R extends Role ? PeerOf<R> : never

/** Start a probe process and wait for its "ready" line. */
export async function startPeer<R extends Role>(program: Program<R>, args: string[], name: string, timeoutMs = 10_000): Promise<Peer<R>> {
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

  const from = {name, role: program.role, engine: program.engine}
  /** The next line, checked as the reply of event `expect` (the command's first word). */
  function nextRecord(timeoutMs: number, what: string, expect: string): Promise<AnyReply<R>> {
    const parse = (line: string) => parseReply(line, from, expect)
    const queued = lines.shift()
    if (queued !== undefined) return Promise.resolve().then(() => parse(queued))
    if (exited) return Promise.reject(new C1mError('E_PROBE_FAILED', whyGone()))
    return new Promise<AnyReply<R>>((resolve, reject) => {
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
  let ready: Replies[R]['ready']
  try {
    ready = (await nextRecord(timeoutMs, 'start', 'ready')) as Replies[R]['ready']
  } catch (error) {
    await kill()
    throw error
  }

  const lastCount = (line: string) => {
    try {
      return parseReply(line, from, 'count') as ReplyTo<R, 'count'>
    } catch {
      return undefined
    }
  }
  const peer: PeerOf<R> = {
    name,
    pid: child.pid!,
    ready,
    ask(command, askTimeoutMs) {
      if (exited) return Promise.reject(new C1mError('E_PROBE_FAILED', whyGone()))
      child.stdin!.write(`${command}\n`)
      return nextRecord(askTimeoutMs, command, command.split(' ')[0]) as Promise<ReplyTo<R, typeof command>>
    },
    async stop(stopTimeoutMs = 120_000) {
      if (!exited) child.stdin!.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs)
      await exitPromise
      clearTimeout(timer)
      // The last line a process writes as it closes holds its final counters.
      const last = lines.splice(0).at(-1)
      return last === undefined ? undefined : lastCount(last)
    },
  }
  return peer as Peer<R>
}
