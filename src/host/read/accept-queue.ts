import {type HostRoot, readHostChunks} from '../files/root.js'
import {TCP_TABLE_CAP} from './listeners.js'

/** /proc/net/tcp states: an established connection, and a handshake the server has not completed. */
const ESTABLISHED = '01'
const SYN_RECV = '03'

/** "127.0.0.1:8080" as /proc/net/tcp writes it: little-endian hex address, big-endian hex port. */
export function procNetAddress(host: string, port: number): string {
  const hex = host.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0').toUpperCase()).reverse().join('')
  return `${hex}:${port.toString(16).padStart(4, '0').toUpperCase()}`
}

/**
 * Whether one /proc/net/tcp line is a connection to `local` that the server holds no socket for:
 * established but never accept()ed (it waits in the listen queue and has no inode yet), or a
 * handshake whose last ACK the server dropped (its queue was full; the client thinks it open).
 */
export function isUnaccepted(line: string, local: string): boolean {
  const f = line.trim().split(/\s+/)
  if (f.length < 10 || f[1] !== local) return false
  return (f[3] === ESTABLISHED && f[9] === '0') || f[3] === SYN_RECV
}

/** The same address as /proc/net/tcp6 writes it for a dual-stack listener: ::ffff:a.b.c.d. */
export function procNet6MappedAddress(host: string, port: number): string {
  const [v4, hexPort] = procNetAddress(host, port).split(':')
  return `0000000000000000FFFF0000${v4}:${hexPort}`
}

/**
 * Connections to host:port that the server at `pid` has not accepted, from its network namespace's
 * /proc/PID/net/tcp and tcp6 (a dual-stack listener's connections show there, v4-mapped), read in
 * bounded chunks; undefined when tcp cannot be read.
 */
export function countUnaccepted(root: HostRoot, pid: number, host: string, port: number): number | undefined {
  let count = 0
  for (const [file, local] of [['tcp', procNetAddress(host, port)], ['tcp6', procNet6MappedAddress(host, port)]] as const) {
    let rest = ''
    const read = readHostChunks(root, `/proc/${pid}/net/${file}`, (chunk) => {
      const lines = (rest + chunk).split('\n')
      rest = lines.pop()!
      for (const line of lines) if (isUnaccepted(line, local)) count++
    }, TCP_TABLE_CAP)
    if (!read.ok) {
      if (file === 'tcp') return undefined
      continue // no IPv6
    }
    if (isUnaccepted(rest, local)) count++
  }
  return count
}
