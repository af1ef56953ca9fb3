import {readdirSync, readlinkSync} from 'node:fs'

import type {Listener} from '../../core/host-snapshot.js'
import {hostPath, type HostRoot, readHostChunks} from '../files/root.js'


/** Socket inodes a process holds open, from the /proc/PID/fd links, and how many descriptors it has open. */
export function readProcessFds(root: HostRoot, pid: number): {openFds: number; sockets: Set<number>} {
  const sockets = new Set<number>()
  const dir = hostPath(root, `/proc/${pid}/fd`)
  const fds = readdirSync(dir)
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${dir}/${fd}`))
      if (match) sockets.add(Number(match[1]))
    } catch {
      // the fd closed between readdir and readlink
    }
  }
  return {openFds: fds.length, sockets}
}

/**
 * A TCP socket of /proc/net/tcp{,6}: where it is bound, and whether it listens (state 0A) or is a
 * connection.
 */
export interface TcpSocket {
  local: string
  inode: number
  listening: boolean
}

/**
 * /proc/net/tcp holds a line of about 150 bytes per socket: 1 GiB covers some 7 million sockets,
 * beyond any one host. It is read in chunks and only the wanted inodes are kept.
 */
export const TCP_TABLE_CAP = 1024 * 1024 * 1024

/** One line of /proc/net/tcp{,6}: `sl local rem st tx:rx tr:when retr uid timeout inode ...`. */
export function parseTcpLine(line: string, v6: boolean): TcpSocket | undefined {
  const f = line.trim().split(/\s+/)
  if (f.length < 10 || !/^\d+$/.test(f[9]) || !/^[0-9A-F]{2}$/i.test(f[3])) return undefined
  const [addr, port] = f[1].split(':')
  if (!addr || !port) return undefined
  return {local: `${v6 ? `[${addr}]` : hexToIpv4(addr)}:${Number.parseInt(port, 16)}`, inode: Number(f[9]), listening: f[3] === '0A'}
}

/**
 * The TCP sockets among `inodes`, from the process's network namespace (/proc/PID/net/tcp{,6}),
 * read in bounded chunks.
 */
export function readTcpSockets(root: HostRoot, pid: number, inodes: Set<number>): {sockets: TcpSocket[]; problem?: string} {
  const sockets: TcpSocket[] = []
  let problem: string | undefined
  for (const [name, v6] of [['tcp', false], ['tcp6', true]] as const) {
    let rest = ''
    const take = (line: string) => {
      const s = parseTcpLine(line, v6)
      if (s && inodes.has(s.inode)) sockets.push(s)
    }
    const lines = (chunk: string) => {
      const all = (rest + chunk).split('\n')
      rest = all.pop()!
      for (const line of all) take(line)
    }
    // The process's own network namespace; a saved tree may hold only /proc/net.
    let read = readHostChunks(root, `/proc/${pid}/net/${name}`, lines, TCP_TABLE_CAP)
    if (!read.ok && read.reason.endsWith('not present')) read = readHostChunks(root, `/proc/net/${name}`, lines, TCP_TABLE_CAP)
    take(rest)
    rest = ''
    // tcp6 is absent when IPv6 is off; a missing tcp is worth saying
    if (!read.ok && !(v6 && read.reason.endsWith('not present'))) problem = read.reason
  }
  return {sockets, problem}
}

/** Listening TCP sockets (state 0A) from /proc/net/tcp and tcp6, keyed by inode. */
export function parseProcNetTcpListeners(text: string, v6: boolean): Listener[] {
  const out: Listener[] = []
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f.length < 10 || f[3] !== '0A') continue
    const [addr, port] = f[1].split(':')
    out.push({local: `${v6 ? `[${addr}]` : hexToIpv4(addr)}:${Number.parseInt(port, 16)}`, inode: Number(f[9])})
  }
  return out
}

function hexToIpv4(hex: string): string {
  const n = Number.parseInt(hex, 16)
  return [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255].join('.')
}

/** `ss -ltnHe` lines: State Recv-Q Send-Q Local Peer ... ino:N; Send-Q of a listener is its backlog. */
export function parseSsListeners(text: string): Map<number, number> {
  const out = new Map<number, number>()
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    const ino = /ino:(\d+)/.exec(line)
    if (f[0] === 'LISTEN' && ino) out.set(Number(ino[1]), Number(f[2]))
  }
  return out
}
