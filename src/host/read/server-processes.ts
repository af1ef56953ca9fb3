import {parseProcLimits} from './limits.js'
import {parseSsListeners, readProcessFds, readTcpSockets} from './listeners.js'
import {readProcessStat} from './process-stat.js'
import {readProcessTree} from './process-tree.js'
import {type HostRoot, readHostText} from '../files/root.js'
import type {Listener, NofileLimit, ServerProcess, ServerProcesses} from '../../core/host-snapshot.js'

const limitOf = (v: number | 'unlimited') => (v === 'unlimited' ? Number.POSITIVE_INFINITY : v)

/** The process that runs out of descriptors first: lowest soft limit, then least headroom. */
export function lowestSoftLimit(processes: ServerProcess[]): ServerProcess | undefined {
  const headroom = (p: ServerProcess) => limitOf(p.nofileSoft) - p.openFds
  return [...processes].sort((a, b) => limitOf(a.nofileSoft) - limitOf(b.nofileSoft) || headroom(a) - headroom(b))[0]
}

/** More processes than any server tree has (nginx spawns one worker per core): a bound on the walk. */
const MAX_PROCESSES = 4096

function describeProcess(root: HostRoot, pid: number, tcp: Map<number, {listening: boolean}>, sockets: Set<number>, openFds: number, nofile: NofileLimit): ServerProcess {
  let listening = 0
  let connections = 0
  for (const inode of sockets) {
    const s = tcp.get(inode)
    if (s?.listening) listening++
    else if (s) connections++
  }
  const comm = readProcessStat(root, pid)?.comm ?? '?'
  return {pid, comm, nofileSoft: nofile.soft, nofileHard: nofile.hard, openFds, sockets: listening + connections, listening, connections}
}

/**
 * The server behind --pid: the process and its descendants (threads share their process's
 * limits and descriptors), which of them hold TCP sockets (their /proc/PID/fd socket inodes
 * matched against /proc/PID/net/tcp{,6}), their nofile limits and open descriptors, and the
 * listening sockets with the backlog each got (backlog needs `ss` from iproute2, live host only).
 */
export async function readServerProcesses(root: HostRoot, pid: number): Promise<ServerProcesses> {
  const problems: string[] = []
  const pids = readProcessTree(root, pid).slice(0, MAX_PROCESSES)
  const seen: Array<{pid: number; openFds: number; sockets: Set<number>; nofile: NofileLimit}> = []
  const allSockets = new Set<number>()
  for (const p of pids.length > 0 ? pids : [pid]) {
    let fds
    try {
      fds = readProcessFds(root, p)
    } catch (error) {
      if (p === pid) problems.push(`/proc/${p}/fd: ${(error as Error).message}`)
      continue // a descendant that exited meanwhile
    }
    const limits = readHostText(root, `/proc/${p}/limits`)
    const nofile = limits.ok ? parseProcLimits(limits.text) : undefined
    if (!nofile) {
      problems.push(limits.ok ? `/proc/${p}/limits: the "Max open files" row is missing or malformed` : limits.reason)
      continue
    }
    seen.push({pid: p, ...fds, nofile})
    for (const inode of fds.sockets) allSockets.add(inode)
  }
  const table = readTcpSockets(root, pid, allSockets)
  if (table.problem) problems.push(table.problem)
  const tcp = new Map(table.sockets.map((s) => [s.inode, s]))
  const all = seen.map((s) => describeProcess(root, s.pid, tcp, s.sockets, s.openFds, s.nofile))
  const holders = all.filter((p) => p.sockets > 0)
  const processes = holders.length > 0 ? holders : all.filter((p) => p.pid === pid)
  const listeners: Listener[] = table.sockets.filter((s) => s.listening).map((s) => ({local: s.local, inode: s.inode}))
  if (root.live && listeners.length > 0) {
    try {
      const {execa} = await import('execa')
      const {stdout} = await execa('ss', ['-ltnHe'], {timeout: 5000})
      const backlog = parseSsListeners(stdout)
      for (const l of listeners) l.backlog = backlog.get(l.inode)
    } catch (error) {
      problems.push(`ss -ltnHe: ${(error as Error).message.split('\n')[0]}`)
    }
  }
  return {pid, processes, listeners, audited: lowestSoftLimit(processes)?.pid ?? pid, problems}
}
