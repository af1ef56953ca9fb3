import {createHash, randomBytes} from 'node:crypto'
import {chmodSync, existsSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {execa} from 'execa'

import {C1mError} from '../core/errors.js'
import {assertPrivateFile, cacheDir, ensurePrivateDir} from '../host/files/private-dir.js'
import {nodeEngineRefuses, type Protocol, protocolArgs, withoutInflate} from '../core/probe/protocol.js'
import type {Engine} from '../core/probe/run-report.js'
import {isPidAlive} from '../host/read/pid-alive.js'

/** The bundled probe sources, at the package root (this file is dist/src/probe/engine.js). */
export const PROBES_DIR = fileURLToPath(new URL('../../../probes/', import.meta.url))

/** Where the probe sources are read from: C1M_PROBES_DIR (for tests: a changed copy) or the bundled ones. */
function probesDir(): string {
  return process.env.C1M_PROBES_DIR || PROBES_DIR
}

export interface Program {
  file: string
  args: string[]
}

export interface EnginePrograms {
  engine: Engine
  server: Program
  client: Program
}

/**
 * A build of another source is removed once it is a day old (a newer c1m in use elsewhere may still
 * want it).
 */
const STALE_BUILD_MS = 86_400_000

/** Where the OpenSSL headers (Debian's libssl-dev) are looked for: with them both programs get TLS. */
const OPENSSL_INCLUDE_DIRS = ['/usr/include', '/usr/local/include']

/**
 * Where the OpenSSL headers are: C1M_OPENSSL_INCLUDE names the directory holding openssl/ssl.h
 * for an OpenSSL installed elsewhere; otherwise the system's include directories.
 */
function openSslInclude(): string | undefined {
  const custom = process.env.C1M_OPENSSL_INCLUDE
  return (custom === undefined ? OPENSSL_INCLUDE_DIRS : [custom]).find((dir) => existsSync(path.join(dir, 'openssl/ssl.h')))
}

/** Whether this machine can build the native programs with TLS. */
export function hasOpenSsl(): boolean {
  return openSslInclude() !== undefined
}

/**
 * Whether zlib's headers (Debian's zlib1g-dev) are here: with them the native client inflates what a
 * server compresses (permessage-deflate), and offers it.
 */
export function hasZlib(): boolean {
  return OPENSSL_INCLUDE_DIRS.some((dir) => existsSync(path.join(dir, 'zlib.h')))
}

/** Compiler arguments beyond the source: OpenSSL and zlib are linked when their headers are here. */
function buildArgs(): string[] {
  // C1M_CFLAGS: flags of one's own before the source (a sanitizer build: -fsanitize=address,undefined -g).
  const own = (process.env.C1M_CFLAGS ?? '').split(/\s+/).filter(Boolean)
  const zlib = hasZlib() ? ['-DC1M_ZLIB', '-lz'] : []
  const include = openSslInclude()
  if (!include) return [...own, ...zlib, '-lm']
  return [...own, ...(process.env.C1M_OPENSSL_INCLUDE ? [`-I${include}`] : []), '-DC1M_TLS', '-lssl', '-lcrypto', ...zlib, '-lm']
}

/**
 * The probe files `file` includes with `#include "..."`, and theirs in turn, each once, in the order
 * they are first met: every one of them is part of the build's hash.
 */
export function includedHeaders(file: string, seen: string[] = []): string[] {
  const dir = path.dirname(file)
  for (const match of readFileSync(file, 'utf8').matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
    const header = path.join(dir, match[1])
    if (seen.includes(header)) continue
    if (!existsSync(header)) throw new C1mError('E_PROBE_FAILED', `the probe header ${header} is missing`, 'reinstall c1m')
    seen.push(header)
    includedHeaders(header, seen)
  }
  return seen
}

/**
 * The engine a run's clients use. The native programs built without the OpenSSL headers have no
 * TLS: for a target over TLS the node engine stands in, when it speaks the protocol, and says so.
 */
export function engineForTls(engine: Engine, protocol: Protocol, bundledServer: boolean): {engine: Engine; note?: string} {
  if (engine !== 'native' || !protocol.tls || hasOpenSsl() || nodeEngineRefuses(protocol, bundledServer)) return {engine}
  return {engine: 'node', note: 'the native programs are built without TLS here (no OpenSSL headers: apt-get install libssl-dev); the node engine opens these connections instead'}
}

/** The file name of one probe's binary: the program and a hash of its source and of the headers. */
export function probeBinaryName(name: string): string {
  const source = path.join(probesDir(), `${name}.c`)
  let text: Buffer
  try {
    text = readFileSync(source)
  } catch {
    throw new C1mError('E_PROBE_FAILED', `the probe source ${source} is missing`, 'reinstall c1m')
  }
  // The hash covers every header the program includes, so a change to one rebuilds it too.
  const hash = createHash('sha256').update(text)
  for (const header of includedHeaders(source)) hash.update(`\0${path.basename(header)}\0`).update(readFileSync(header))
  // A build with TLS and one without are different binaries: installing libssl-dev rebuilds.
  hash.update(buildArgs().join(' '))
  return `${name}-${hash.digest('hex').slice(0, 12)}`
}

/** Remove this program's builds of other sources that have not been made for a day. */
function pruneOldBuilds(dir: string, name: string, keep: string): void {
  for (const file of readdirSync(dir)) {
    if (!/^[\w-]+-[0-9a-f]{12}$/.test(file) || !file.startsWith(`${name}-`) || file === keep) continue
    const stat = statSync(path.join(dir, file), {throwIfNoEntry: false})
    if (stat && Date.now() - stat.mtimeMs > STALE_BUILD_MS) rmSync(path.join(dir, file), {force: true})
  }
}

/** A temporary build's name: `.NAME-HASH.PID.RANDOM.tmp` (see compileProbe). */
const TEMP_BUILD = /^\.[\w-]+-[0-9a-f]{12}\.(\d+)\.[0-9a-f]{8}\.tmp$/

/** Remove temporary builds whose compiling c1m is gone (killed mid-build): a live one's stay. */
function sweepDeadBuilds(dir: string): void {
  for (const file of readdirSync(dir)) {
    const match = TEMP_BUILD.exec(file)
    if (match && !isPidAlive(Number(match[1]))) rmSync(path.join(dir, file), {force: true})
  }
}

/**
 * The protocol as the chosen engine can speak it: a native client built without zlib cannot
 * inflate, so a WebSocket offered permessage-deflate by default is not (the report says why), and
 * one that asked for it with --ws-deflate is refused.
 */
export function withInflate(engine: Engine, protocol: Protocol, asked: boolean | undefined): Protocol {
  if (engine !== 'native' || protocol.kind !== 'ws' || !protocol.deflate || hasZlib()) return protocol
  if (asked) throw new C1mError('E_NO_COMPILER', "--ws-deflate needs the native client built with zlib, and zlib's headers are not installed", 'apt-get install zlib1g-dev, or --engine node')
  return withoutInflate(protocol)
}

/**
 * Compile one probe C file unless a binary of this very source exists; returns its path.
 * Builds live in the running user's own cache directory (cacheDir(), mode 0700): c1m runs them
 * as root, so the directory and the binary are checked to be the user's alone before each run.
 * The binary's name carries a hash of the source, so an upgrade never runs an old build
 * (npm gives every packed file the same old mtime, so times cannot tell).
 */
export async function compileProbe(name: string): Promise<string> {
  const source = path.join(probesDir(), `${name}.c`)
  const file = probeBinaryName(name)
  const dir = ensurePrivateDir(cacheDir())
  sweepDeadBuilds(dir)
  const binary = path.join(dir, file)
  if (lstatSync(binary, {throwIfNoEntry: false})) {
    assertPrivateFile(binary)
    return binary
  }
  const compiler = process.env.CC || 'cc'
  // Build under a temporary name in the same directory and rename, so no run ever sees half a binary.
  const temp = path.join(dir, `.${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const result = await execa(compiler, ['-O2', '-Wall', '-o', temp, source, ...buildArgs()], {reject: false, timeout: 120_000})
  if (result.failed) {
    rmSync(temp, {force: true})
    if ((result as {code?: string}).code === 'ENOENT') {
      throw new C1mError('E_NO_COMPILER', `no C compiler (${compiler}) to build the native probe`, 'install gcc (apt-get install gcc), set CC, or use --engine node')
    }
    const why = String(result.stderr || result.message).split('\n').find((line) => line.includes('error')) ?? result.shortMessage
    throw new C1mError('E_NO_COMPILER', `${compiler} could not build ${name}.c: ${why}`, 'check the compiler, set CC, or use --engine node')
  }
  chmodSync(temp, 0o700)
  renameSync(temp, binary)
  assertPrivateFile(binary)
  pruneOldBuilds(dir, name, file)
  return binary
}

/** The server and client programs of an engine, compiled when native. */
export async function prepareEngine(engine: Engine, tls = false): Promise<EnginePrograms> {
  if (tls && engine === 'native' && !hasOpenSsl()) {
    throw new C1mError('E_NO_COMPILER', 'TLS needs the native programs built with OpenSSL, and its headers are not installed', 'apt-get install libssl-dev, then run again')
  }
  if (engine === 'node') {
    return {
      engine,
      server: {file: process.execPath, args: [path.join(probesDir(), 'echo-server.mjs')]},
      client: {file: process.execPath, args: [path.join(probesDir(), 'echo-client.mjs')]},
    }
  }
  const [server, client] = await Promise.all([compileProbe('echo-server'), compileProbe('echo-client')])
  return {engine, server: {file: server, args: []}, client: {file: client, args: []}}
}

/**
 * The same programs, started inside a named network namespace (`ip netns exec` replaces itself with
 * the program, so PIDs are the program's).
 */
export function inNetns(programs: EnginePrograms, name: string): EnginePrograms {
  const wrap = (program: Program): Program => ({file: 'ip', args: ['netns', 'exec', name, program.file, ...program.args]})
  return {engine: programs.engine, server: wrap(programs.server), client: wrap(programs.client)}
}

/** The same programs, speaking `protocol` (their extra arguments appended). */
export function withProtocol(programs: EnginePrograms, protocol: Protocol): EnginePrograms {
  const args = protocolArgs(protocol)
  return {
    engine: programs.engine,
    server: {file: programs.server.file, args: [...programs.server.args, ...args.server]},
    client: {file: programs.client.file, args: [...programs.client.args, ...args.client]},
  }
}
