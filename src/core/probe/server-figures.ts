// With --target: each --server-pid's process tree on its own (a proxy and its backends), the
// sockets each holds per client connection, and the sockets a connection costs this host. Pure.

import {fitLine} from './fit-line.js'
import {type HeldFigure, heldFigure} from './held-figure.js'
import type {ProbeSample} from './fit-report.js'

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

/** `c1m client --server-pid`: the trees' figures from their RSS before and with the connections open. */
export interface ClientServerFigures extends ServerFigures {
  /** The servers' memory during --hold (about every second), and its settled figure. */
  hold?: {serverMemory: HoldReading[]; held: HeldFigure}
}

type HoldReading = {t: number; rssBytes: number; trees?: number[]}

/**
 * The figures `c1m client` gives for --server-pid: two readings (before any connection, and with
 * `conns` open) stand for the ramp, and the hold's readings give the held figure.
 */
export function clientServerFigures(trees: ServerTreeReading[], before: number[], top: number[], conns: number, readings: HoldReading[]): ClientServerFigures {
  const point = (n: number, rss: number[]): ProbeSample => ({conns: n, established: n, meminfo: {}, server: {rss: rss.reduce((a, b) => a + b, 0), trees: rss}, client: {rss: 0}})
  const samples = [point(0, before), point(conns, top)]
  const hold = readings.length > 0 ? {readings, conns} : undefined
  const figures = conns > 0 ? serverFigures(trees, samples, conns, hold) : {processes: []}
  if (!hold || conns <= 0) return figures
  const slope = (samples[1].server.rss - samples[0].server.rss) / conns
  return {...figures, hold: {serverMemory: readings, held: heldFigure(readings.map((r) => ({t: r.t, rss: r.rssBytes})), samples[0].server.rss, conns, slope)}}
}
