import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'

import {C1mError} from '../errors.js'

export type Engine = 'native' | 'node'
export const ENGINES: Engine[] = ['native', 'node']

/** The bundled probe sources, at the package root (this file is dist/src/probe/engine.js). */
export const PROBES_DIR = fileURLToPath(new URL('../../../probes/', import.meta.url))

export interface Program {
  file: string
  args: string[]
}

export interface EnginePrograms {
  engine: Engine
  server: Program
  client: Program
}

/** probes/.build when it can be written (a checkout), else a per-user directory under the temp dir. */
function buildDir(): string {
  for (const dir of [path.join(PROBES_DIR, '.build'), path.join(os.tmpdir(), `c1m-probes-${process.getuid?.() ?? 'user'}`)]) {
    try {
      mkdirSync(dir, {recursive: true})
      const marker = path.join(dir, `.w${process.pid}`)
      mkdirSync(marker)
      rmSync(marker, {recursive: true})
      return dir
    } catch {
      // not writable: try the next
    }
  }
  throw new C1mError('E_PROBE_FAILED', 'no writable directory to build the native probe in', 'use --engine node')
}

/**
 * Compile one probe C file unless a binary of this very source exists; returns its path.
 * The binary's name carries a hash of the source (and of echo-common.h), so an upgrade never runs an old build
 * (npm gives every packed file the same old mtime, so times cannot tell).
 */
export async function compileProbe(name: string): Promise<string> {
  const source = path.join(PROBES_DIR, `${name}.c`)
  let text: Buffer
  try {
    text = readFileSync(source)
  } catch {
    throw new C1mError('E_PROBE_FAILED', `the probe source ${source} is missing`, 'reinstall c1m')
  }
  // The hash covers the header both programs include, so a change to it rebuilds them too.
  const hash = createHash('sha256').update(text).update(readFileSync(path.join(PROBES_DIR, 'echo-common.h'))).digest('hex').slice(0, 12)
  const binary = path.join(buildDir(), `${name}-${hash}`)
  if (existsSync(binary)) return binary
  const compiler = process.env.CC || 'cc'
  // Build beside the target and rename, so a concurrent run never sees half a binary.
  const temp = `${binary}.${process.pid}.tmp`
  const result = await execa(compiler, ['-O2', '-Wall', '-o', temp, source], {reject: false, timeout: 120_000})
  if (result.failed) {
    rmSync(temp, {force: true})
    if ((result as {code?: string}).code === 'ENOENT') {
      throw new C1mError('E_NO_COMPILER', `no C compiler (${compiler}) to build the native probe`, 'install gcc (apt-get install gcc), set CC, or use --engine node')
    }
    const why = String(result.stderr || result.message).split('\n').find((line) => line.includes('error')) ?? result.shortMessage
    throw new C1mError('E_NO_COMPILER', `${compiler} could not build ${name}.c: ${why}`, 'check the compiler, set CC, or use --engine node')
  }
  renameSync(temp, binary)
  // Builds of older sources are of no more use.
  for (const file of readdirSync(path.dirname(binary))) {
    if (/^[\w-]+-[0-9a-f]{12}$/.test(file) && file.startsWith(`${name}-`) && path.join(path.dirname(binary), file) !== binary) {
      rmSync(path.join(path.dirname(binary), file), {force: true})
    }
  }
  return binary
}

/** The server and client programs of an engine, compiled when native. */
export async function prepareEngine(engine: Engine): Promise<EnginePrograms> {
  if (engine === 'node') {
    return {
      engine,
      server: {file: process.execPath, args: [path.join(PROBES_DIR, 'echo-server.mjs')]},
      client: {file: process.execPath, args: [path.join(PROBES_DIR, 'echo-client.mjs')]},
    }
  }
  const [server, client] = await Promise.all([compileProbe('echo-server'), compileProbe('echo-client')])
  return {engine, server: {file: server, args: []}, client: {file: client, args: []}}
}

/** The same programs, started inside a named network namespace (`ip netns exec` replaces itself with the program, so PIDs are the program's). */
export function inNetns(programs: EnginePrograms, name: string): EnginePrograms {
  const wrap = (program: Program): Program => ({file: 'ip', args: ['netns', 'exec', name, program.file, ...program.args]})
  return {engine: programs.engine, server: wrap(programs.server), client: wrap(programs.client)}
}
