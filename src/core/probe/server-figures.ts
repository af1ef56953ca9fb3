// With --target: each --server-pid's process tree on its own (a proxy and its backends), the
// sockets each holds per client connection, and the sockets a connection costs this host. Pure.

import {fitLine} from './fit-line.js'
import {heldFigure} from './held-figure.js'
import type {ProbeSample} from './report.js'

/** One --server-pid's tree as read on the host. */
export interface ServerTreeReading {
  pid: number
  name: string
  /** Processes in the tree at the top of the ramp. */
  processes: number
  /** Socket inodes the tree held before the ramp and with the connections open; absent when unreadable. */
  sockets?: {before: number; after: number}
}

export interface ServerProcessFigure {
  pid: number
  name: string
  processes: number
  /** The ramp's slope of this tree's RSS, and its fit. */
  bytesPerConnection: number
  r2: number
  /** Sockets this tree holds per client connection: 1 for a server, 2 for a proxy (both sides). */
  socketsPerConnection?: number
  /** The settled figure of the hold, when it settled. */
  heldBytesPerConnection?: number
}

export interface ServerFigures {
  processes: ServerProcessFigure[]
  /** Sockets the server trees hold per client connection, summed; absent when one could not be read. */
  socketsPerConnection?: number
}

/** RSS of tree i in a sample: its own reading, or the sum when there is one tree. */
export function treeRss(sample: {server: ProbeSample['server']}, i: number): number {
  return sample.server.trees?.[i] ?? sample.server.rss
}

/**
 * The figures of each tree, from the ramp's samples, the hold's readings and the socket counts
 * against the client connections open when the sockets were counted.
 */
export function serverFigures(trees: ServerTreeReading[], samples: ProbeSample[], conns: number, hold?: {readings: {t: number; trees?: number[]; rssBytes: number}[]; conns: number}): ServerFigures {
  const processes = trees.map((tree, i): ServerProcessFigure => {
    const fit = fitLine(samples.map((s) => ({x: s.conns, y: treeRss(s, i)})))
    const perConn = tree.sockets && conns > 0 ? Number(((tree.sockets.after - tree.sockets.before) / conns).toFixed(2)) : undefined
    const held = hold && samples.length > 0
      ? heldFigure(hold.readings.map((r) => ({t: r.t, rss: r.trees?.[i] ?? r.rssBytes})), treeRss(samples[0], i), hold.conns, fit.bytesPerConn)
      : undefined
    return {
      pid: tree.pid,
      name: tree.name,
      processes: tree.processes,
      bytesPerConnection: Math.round(fit.bytesPerConn),
      r2: Number(fit.r2.toFixed(4)),
      ...(perConn === undefined ? {} : {socketsPerConnection: perConn}),
      ...(held?.bytesPerConn === undefined ? {} : {heldBytesPerConnection: held.bytesPerConn}),
    }
  })
  const counted = processes.every((p) => p.socketsPerConnection !== undefined)
  const total = Number(processes.reduce((sum, p) => sum + (p.socketsPerConnection ?? 0), 0).toFixed(2))
  return {processes, ...(counted ? {socketsPerConnection: total} : {})}
}

/**
 * Sockets on this host per client connection: the client's own plus those the server trees were
 * counted holding (a whole number, as the report's socketsPerConn is); the plan's when not counted.
 */
export function hostSocketsPerConn(figures: ServerFigures | undefined, planned: number): number {
  const counted = figures?.socketsPerConnection
  return counted === undefined ? planned : Math.max(1, 1 + Math.round(counted))
}
