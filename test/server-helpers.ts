// Real servers for doctor --pid tests: started here, bounded in time, stopped by PID.
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {after} from 'node:test'

import {eventually, spawnWaiting} from './spawn-c1m.js'

/** A free TCP port on 127.0.0.1 (the kernel picks it; the server binds it right after). */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen({host: '127.0.0.1', port: 0}, resolve))
  const {port} = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Wait until 127.0.0.1:port accepts, polling every 50 ms, for at most `ms`. */
export async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const accepts = () => new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy()
      resolve(true)
    })
    s.on('error', () => resolve(false))
  })
  await eventually(accepts, {timeoutMs: ms, what: `a listener on 127.0.0.1:${port}`})
}

/** Open `count` connections to 127.0.0.1:port and keep them open. */
export async function holdConnections(port: number, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = []
  for (let i = 0; i < count; i++) {
    sockets.push(await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s))
      s.on('error', reject)
    }))
  }
  return sockets
}

/** Children of a process, from /proc/PID/task/TID/children. */
export function childPids(pid: number): number[] {
  const out: number[] = []
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      out.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
    }
  } catch {
    // gone
  }
  return out
}

/** Descriptors a process has open now. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** The soft nofile limit of a process, from /proc/PID/limits. */
export function softNofile(pid: number): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!
  return Number(line.slice('Max open files'.length).trim().split(/\s+/)[0])
}

/** Stop processes by PID: SIGTERM, then SIGKILL after `ms` for any still there. */
export async function stopPids(pids: number[], ms = 3000): Promise<void> {
  const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  await eventually(() => !pids.some((p) => alive(p)), {timeoutMs: ms}).catch(() => undefined)
  for (const pid of pids.filter((p) => alive(p))) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
  }
}

/** Start a process with stdout piped; its first line of output, within `ms`. */
export async function startWithFirstLine(command: string, args: string[], ms = 10_000): Promise<{child: ChildProcess; line: string}> {
  const {child, match} = await spawnWaiting(command, args, {waitFor: /^(.*)\n/, stream: 'stdout', timeoutMs: ms})
  return {child, line: match[1]}
}

/** A Node program (`node -e code`) that prints "port N" first: its port and PID (the caller stops it). */
export async function startNodeServer(code: string): Promise<{port: number; pid: number}> {
  const {child, line} = await startWithFirstLine(process.execPath, ['-e', code])
  const port = /^port (\d+)$/.exec(line)?.[1]
  if (!port) {
    child.kill()
    throw new Error(`the test server printed "${line}", not "port N"`)
  }
  return {port: Number(port), pid: child.pid!}
}

/** Is this program on the PATH (or in /usr/sbin, where Debian puts nginx)? */
export function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin']
  return dirs.map((d) => `${d}/${name}`).find((f) => existsSync(f))
}

/**
 * Start `node ARGS` for a test (stdin open) and wait (10 s at most) for output on `stream` that
 * matches; the caller stops the child (it is killed here if the pattern never comes).
 */
export async function startMatching(args: string[], stream: 'stdout' | 'stderr', pattern: RegExp): Promise<{child: ChildProcess; match: RegExpExecArray}> {
  const {child, match} = await spawnWaiting(process.execPath, args, {waitFor: pattern, stream, timeoutMs: 10_000, stdin: true, env: {NO_COLOR: '1'}})
  return {child, match}
}

/** Write command to a child's stdin and read the first whole line it prints after, as JSON. */
export async function askLine<T>(child: ChildProcess, command: string): Promise<T> {
  const line = new Promise<string>((resolve) => {
    let text = ''
    const look = (chunk: Buffer) => {
      text += String(chunk)
      if (text.includes('\n')) {
        child.stdout!.off('data', look)
        resolve(text.slice(0, text.indexOf('\n')))
      }
    }
    child.stdout!.on('data', look)
  })
  child.stdin!.write(`${command}\n`)
  return JSON.parse(await line) as T
}

/**
 * A temporary directory and a list of server PIDs for one test file: after its tests the PIDs are
 * stopped and the directory removed.
 */
export function scratch(prefix: string): {dir: string; pids: number[]} {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  const pids: number[] = []
  after(async () => {
    await stopPids(pids)
    rmSync(dir, {recursive: true, force: true})
  })
  return {dir, pids}
}

export interface Nats {
  child: ChildProcess
  pid: number
  /** The NATS client port, its monitoring (HTTP) port and its WebSocket listener, all on 127.0.0.1. */
  port: number
  monitor: number
  ws: number
}

/**
 * Debian's nats-server for a test, from a config written in `scratch.dir` (its PID goes in
 * `scratch.pids`, stopped after the file's tests): clients, monitoring and WebSocket (no TLS) on free
 * ports of 127.0.0.1, up to 100,000 connections, then `extra` config lines. It returns once its
 * monitoring endpoint says it is this server on these ports (a free port taken meanwhile by another
 * process would otherwise pass for it).
 */
export async function startNats(scratch: {dir: string; pids: number[]}, extra = ''): Promise<Nats> {
  const program = findProgram('nats-server')
  if (!program) throw new Error('nats-server is not installed (.ci/run installs it)')
  const [port, monitor, ws] = [await freePort(), await freePort(), await freePort()]
  const conf = path.join(scratch.dir, `nats-${port}.conf`)
  writeFileSync(conf, `listen: 127.0.0.1:${port}\nhttp: 127.0.0.1:${monitor}\nmax_connections: 100000\nwebsocket { host: 127.0.0.1, port: ${ws}, no_tls: true }\n${extra}`)
  const child = spawn(program, ['-c', conf], {stdio: 'ignore'})
  scratch.pids.push(child.pid!)
  for (const p of [port, monitor, ws]) await waitForPort(p)
  const varz = (await (await fetch(`http://127.0.0.1:${monitor}/varz`)).json()) as {port: number; http_port: number; websocket?: {port: number}}
  if (child.exitCode !== null || varz.port !== port || varz.http_port !== monitor || varz.websocket?.port !== ws) {
    throw new Error(`nats-server from ${conf} is not the one answering on 127.0.0.1:${monitor}: ${JSON.stringify(varz)}`)
  }
  return {child, pid: child.pid!, port, monitor, ws}
}
