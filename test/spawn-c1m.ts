// Processes a test starts and keeps running while it works (a c1m server, a probe to interrupt, a
// Node server): started once here, output collected, waited on until a line matches, bounded in
// time, and polled conditions instead of fixed sleeps.
import {type ChildProcess, spawn} from 'node:child_process'
import {setTimeout as sleep} from 'node:timers/promises'

import {BIN} from './helpers.js'

export interface Spawned {
  child: ChildProcess
  /** Everything the process has written so far (both streams are piped and collected). */
  output: {stdout: string; stderr: string}
  /** The match of `waitFor`; the empty match when there was none to wait for. */
  match: RegExpExecArray
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  exited: Promise<number | null>
  /** It leads a process group of its own. */
  detached: boolean
}

export interface SpawnOptions {
  /** Added to (not instead of) this process's environment. */
  env?: Record<string, string>
  /** Resolve once what `stream` has said so far matches; without it, resolve at once. */
  waitFor?: RegExp
  /** The stream `waitFor` reads: stderr by default (c1m's progress lines). */
  stream?: 'stdout' | 'stderr'
  /** How long to wait for `waitFor` before killing the process and failing. */
  timeoutMs?: number
  /** The leader of a process group of its own (a signal can go to the group; a failed wait kills it). */
  detached?: boolean
  /** Leave stdin open as a pipe (for a program that reads commands). */
  stdin?: boolean
}

/**
 * Start `command ARGS` with its output collected and, with `waitFor`, wait until it says a line
 * that matches: killed and failed when it exits first or nothing matches within `timeoutMs`
 * (15 s unless told). The caller stops the child.
 */
export async function spawnWaiting(command: string, args: string[], options: SpawnOptions = {}): Promise<Spawned> {
  const child = spawn(command, args, {stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: options.detached, env: {...process.env, ...options.env}})
  const output = {stdout: '', stderr: ''}
  // What it wrote may still be in the pipes at its exit: wait for them to close too, though not for
  // long (a process it left behind may hold them).
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    const timer = setTimeout(() => resolve(code), 2000)
    child.once('close', () => {
      clearTimeout(timer)
      resolve(code)
    })
  }))
  for (const name of ['stdout', 'stderr'] as const) child[name]!.setEncoding('utf8').on('data', (chunk: string) => (output[name] += chunk))
  const pattern = options.waitFor
  const detached = options.detached ?? false
  if (!pattern) return {child, output, exited, detached, match: Object.assign([''], {index: 0, input: ''}) as RegExpExecArray}
  const stream = options.stream ?? 'stderr'
  const ms = options.timeoutMs ?? 15_000
  const said = () => `${command} ${args.join(' ')}: ${output[stream].slice(-1000)}`
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer)
      child[stream]!.off('data', look)
      child.off('exit', exit)
    }
    const fail = (why: string) => {
      done()
      if (options.detached) process.kill(-child.pid!, 'SIGKILL')
      else child.kill('SIGKILL')
      reject(new Error(`${why}: ${said()}`))
    }
    const look = () => {
      const found = pattern.exec(output[stream])
      if (found) {
        done()
        resolve(found)
      }
    }
    const exit = (code: number | null) => fail(`exited with ${code} before ${pattern}`)
    const timer = setTimeout(() => fail(`no ${pattern} within ${ms} ms`), ms)
    child[stream]!.on('data', look)
    child.once('exit', exit)
  })
  return {child, output, exited, detached, match}
}

/**
 * Start the real `c1m ARGS` as its own process (NO_COLOR, no probe copy kept, as run() does), and
 * with `waitFor` wait until it says a line that matches; see spawnWaiting.
 */
export async function spawnC1m(args: string[], options: SpawnOptions = {}): Promise<Spawned> {
  return spawnWaiting(process.execPath, [BIN, ...args], {...options, env: {NO_COLOR: '1', C1M_PROBE_DIR: 'off', ...options.env}})
}

/**
 * Its exit code once it exits by itself; after `ms`, SIGKILL (to its group when detached) and the
 * code that gives.
 */
export async function exitWithin(spawned: Spawned, ms: number): Promise<number | null> {
  const {child} = spawned
  const timer = setTimeout(() => (spawned.detached ? process.kill(-child.pid!, 'SIGKILL') : child.kill('SIGKILL')), ms)
  try {
    return await spawned.exited
  } finally {
    clearTimeout(timer)
  }
}

/** Send a signal to a child (unless it has exited) and wait for its exit code. */
export async function stopChild(spawned: Spawned, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill(signal)
  return spawned.exited
}

/**
 * Call `fn` every `everyMs` (50 unless told) until it neither throws nor returns false, and give what
 * it returned. After `timeoutMs` (10 s unless told) it fails with the last error `fn` threw (so an
 * assertion inside `fn` fails the test with its own message), or says `what` was not seen.
 */
export async function eventually<T>(fn: () => T | Promise<T>, options: {timeoutMs?: number; everyMs?: number; what?: string} = {}): Promise<Exclude<T, false>> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const until = performance.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await fn()
      if (value !== false) return value as Exclude<T, false>
      lastError = undefined
    } catch (error) {
      lastError = error
    }
    if (performance.now() >= until) break
    await sleep(options.everyMs ?? 50)
  }
  if (lastError) throw lastError
  throw new Error(`${options.what ?? 'the condition'} not met within ${timeoutMs} ms`)
}
