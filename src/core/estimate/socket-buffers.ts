import {PAGE_SIZE} from './socket-cost.js'

/**
 * Average socket buffer bytes per connection for a traffic pattern. An idle socket holds
 * no buffer memory; a socket with a message queued is charged by the kernel in whole pages
 * (the TCP memory accounting quantum), so a message of B bytes costs ceil(B / 4096) pages,
 * at least one. `active` is the fraction of connections with a message in flight at once.
 */
export function bufferBytesPerConn(messageSize: number, active: number): number {
  if (messageSize <= 0 || active <= 0) return 0
  const pages = Math.max(1, Math.ceil(messageSize / PAGE_SIZE))
  return active * pages * PAGE_SIZE
}

export interface TcpMemReach {
  /** Connections at which TCP enters memory pressure (tcp_mem[1]); Infinity when idle. */
  pressureAt: number
  /** Connections at which TCP refuses more buffer memory (tcp_mem[2]). */
  maxAt: number
}

/** The connection counts at which this host's tcp_mem (pages: low, pressure, max) is reached. */
export function tcpMemReach(tcpMemPages: [number, number, number], bytesPerConn: number): TcpMemReach {
  if (bytesPerConn <= 0) return {pressureAt: Number.POSITIVE_INFINITY, maxAt: Number.POSITIVE_INFINITY}
  return {
    pressureAt: Math.floor((tcpMemPages[1] * PAGE_SIZE) / bytesPerConn),
    maxAt: Math.floor((tcpMemPages[2] * PAGE_SIZE) / bytesPerConn),
  }
}
