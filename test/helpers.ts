import {execa} from 'execa'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root (tests run from dist/test). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const FIXTURES = path.join(REPO_ROOT, 'test/fixtures')
export const BIN = path.join(REPO_ROOT, 'bin/run.js')
/** c1m's version, as package.json says. */
export const VERSION: string = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version

/**
 * One build cache for every test (dist/ is rebuilt, so it starts empty after a build), so the
 * native probe is compiled once, not per test; the binaries the tests start inherit it, and
 * in-process callers of prepareEngine read it too. A test may pass another in run()'s env.
 */
export const TEST_CACHE = path.join(REPO_ROOT, 'dist/test-cache')
process.env.XDG_CACHE_HOME = TEST_CACHE

export interface RunResult {
  stdout: string
  stderr: string
  exitCode: number
}

/**
 * Run the real `c1m` binary with arguments, as a user would. (oclif's in-process runCommand
 * captures process.stdout, which node:test's worker uses to report results, so commands
 * run in a child process instead.) Bounded by a timeout; never throws on a non-zero exit.
 */
export async function run(args: string[], options: {timeout?: number; env?: Record<string, string>} = {}): Promise<RunResult> {
  const result = await execa('node', [BIN, ...args], {
    reject: false,
    timeout: options.timeout ?? 60_000,
    // C1M_PROBE_DIR=off: probes keep no copy in ~/.local/state and estimate finds none there,
    // unless a test says otherwise
    env: {NO_COLOR: '1', C1M_PROBE_DIR: 'off', ...options.env},
    stdin: 'ignore',
  })
  if (result.timedOut) throw new Error(`c1m ${args.join(' ')} timed out`)
  return {stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1}
}

export interface Envelope<T> {
  status: number
  result: T
  warnings: string[]
  error?: {code: string; message: string; suggestion?: string}
}

/** Run a command with --json and parse the envelope it printed. */
export async function runJson<T = Record<string, unknown>>(args: string[], options?: {timeout?: number; env?: Record<string, string>}): Promise<{envelope: Envelope<T>; exitCode: number; stderr: string}> {
  const {stdout, stderr, exitCode} = await run([...args, '--json'], options)
  try {
    return {envelope: JSON.parse(stdout) as Envelope<T>, exitCode, stderr}
  } catch {
    throw new Error(`c1m ${args.join(' ')} --json printed no JSON (exit ${exitCode}): ${stdout.slice(0, 200)} ${stderr.slice(0, 500)}`)
  }
}

/**
 * runJson while a watcher of the test's own listens: 300 ms after c1m ends (its last messages on
 * their way to the watcher), and whether it succeeded or not, `stop` ends the watcher.
 */
export async function runJsonWatched<T>(args: string[], stop: () => void, options?: {timeout?: number}): Promise<{envelope: Envelope<T>; exitCode: number; stderr: string}> {
  try {
    const result = await runJson<T>(args, options)
    await new Promise((resolve) => setTimeout(resolve, 300))
    return result
  } finally {
    stop()
  }
}

/**
 * Run a command and, when it printed a JSON envelope, give its result: the shape the
 * apply, revert and profile tests read ({stdout, stderr, exit, result}).
 */
export async function runCli<T = unknown>(args: string[], options?: {timeout?: number}): Promise<RunResult & {exit: number; result?: T}> {
  const out = await run(args, options)
  let result: T | undefined
  if (args.includes('--json')) {
    try {
      result = (JSON.parse(out.stdout) as Envelope<T>).result
    } catch {
      result = undefined
    }
  }
  return {...out, exit: out.exitCode, result}
}

/** Everything a run ended with: its warnings and, for a run that failed, its one error line. */
export function endNotes(envelope: Envelope<unknown>): string {
  return [...envelope.warnings, ...(envelope.error ? [envelope.error.message] : [])].join('\n')
}

/**
 * A small probe (a few hundred connections) that held what it opened may still be too small, or
 * too disturbed on a busy host, for a kernel fit: that is exit 13 with its reason, never another
 * failure. `said`: the run's stderr or its envelope's notes.
 */
export function assertHeld(exitCode: number, said: string): void {
  if (exitCode === 13 && /the kernel figure is not a measurement: /.test(said)) return
  if (exitCode !== 0) throw new Error(`expected exit 0 (or 13 for a kernel fit too small to measure), got ${exitCode}: ${said}`)
}
