import {spawn} from 'node:child_process'
import path from 'node:path'

import {REPO_ROOT} from './helpers.js'

export interface CliRun<T> {
  exitCode: number
  stdout: string
  stderr: string
  /** The --json envelope, when stdout holds one. */
  envelope: {status: number; result: T; warnings: string[]; error?: {code: string; message: string; suggestion?: string}}
}

/**
 * Run bin/run.js in a child process. Commands that work for seconds (probe, client) run out
 * of process: in-process, @oclif/test captures process.stdout while node's test runner is
 * writing its own reports there, and both are garbled.
 */
export async function runCli<T = Record<string, unknown>>(args: string[], timeoutMs = 120_000): Promise<CliRun<T>> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/run.js'), ...args], {stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const exitCode = await new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))))
  clearTimeout(timer)
  let envelope: CliRun<T>['envelope']
  try {
    envelope = JSON.parse(stdout)
  } catch {
    envelope = undefined as never
  }
  return {exitCode, stdout, stderr, envelope}
}
