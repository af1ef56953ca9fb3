import {Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root (tests run from dist/test). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const FIXTURES = path.join(REPO_ROOT, 'test/fixtures')

let config: Config | undefined

/** Run a c1m command in-process with a Config loaded once; returns output and the exit code it set. */
export async function run(args: string[]): Promise<{stdout: string; stderr: string; exitCode: number; result: unknown}> {
  config ??= await Config.load({root: REPO_ROOT})
  process.exitCode = undefined
  const {stdout, stderr, error, result} = await runCommand(args, config)
  const exit = (error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit
  const exitCode = exit ?? Number(process.exitCode ?? 0)
  process.exitCode = undefined
  if (error && exit === undefined) throw error
  return {stdout, stderr, exitCode, result}
}

/** Run a command with --json and parse the envelope it printed. */
export async function runJson<T = Record<string, unknown>>(args: string[]): Promise<{envelope: {status: number; result: T; warnings: string[]; error?: {code: string; message: string}}; exitCode: number; stderr: string}> {
  const {stdout, stderr, exitCode} = await run([...args, '--json'])
  return {envelope: JSON.parse(stdout), exitCode, stderr}
}
