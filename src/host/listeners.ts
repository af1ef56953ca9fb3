import {readdirSync, readlinkSync} from 'node:fs'

import {hostPath, type HostRoot, readHostText} from './root.js'

export interface Listener {
  local: string
  /** The accept queue length the socket got: min(listen() backlog, somaxconn). */
  backlog?: number
  inode: number
}

/** Socket inodes a process holds open, from the /proc/PID/fd links. */
export function socketInodes(root: HostRoot, pid: number): Set<number> {
  const inodes = new Set<number>()
  const dir = hostPath(root, `/proc/${pid}/fd`)
  for (const fd of readdirSync(dir)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${dir}/${fd}`))
      if (match) inodes.add(Number(match[1]))
    } catch {
      // the fd closed between readdir and readlink
    }
  }
  return inodes
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

/** The listening sockets of a process and the backlog each got (backlog needs `ss`, from iproute2). */
export async function readListeners(root: HostRoot, pid: number): Promise<{listeners: Listener[]; problem?: string}> {
  let inodes: Set<number>
  try {
    inodes = socketInodes(root, pid)
  } catch (error) {
    return {listeners: [], problem: `/proc/${pid}/fd: ${(error as Error).message}`}
  }
  const all: Listener[] = []
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    const text = readHostText(root, file)
    if (text.ok) all.push(...parseProcNetTcpListeners(text.text, v6))
  }
  const listeners = all.filter((l) => inodes.has(l.inode))
  if (!root.live || listeners.length === 0) return {listeners}
  try {
    const {execa} = await import('execa')
    const {stdout} = await execa('ss', ['-ltnHe'], {timeout: 5000})
    const backlog = parseSsListeners(stdout)
    for (const l of listeners) l.backlog = backlog.get(l.inode)
    return {listeners}
  } catch (error) {
    return {listeners, problem: `ss -ltnHe: ${(error as Error).message.split('\n')[0]}`}
  }
}
