import {readSockstat} from '../host/read/memory.js'
import type {HostRoot} from '../host/files/root.js'
import {type FanoutReport, type MemReading, mergeBroadcasts, parseBroadcastSends, parseClientBroadcasts} from '../core/probe/fanout.js'
import type {Peer} from './peer.js'

/** CLOCK_MONOTONIC in microseconds: on Linux node's hrtime is that clock, the one the probes stamp. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n)
}

/**
 * The bundled servers' broadcasts during a hold: started with `start`, sockstat TCP mem read at
 * each `sample` (stamped on the probes' clock, so each broadcast gets the peak of its burst), and
 * at `finish` stopped and every client's and server's figures merged per broadcast.
 */
export class FanoutWatch {
  private readonly readings: MemReading[] = []

  constructor(
    private readonly root: HostRoot,
    private readonly servers: Array<Peer<'server'>>,
    private readonly clients: Array<Peer<'client'>>,
    private readonly broadcast: {everyMs: number; size: number},
    private readonly sockstatPid?: number,
  ) {}

  async start(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.ask(`broadcast ${this.broadcast.everyMs} ${this.broadcast.size}`, 10_000)))
  }

  /** One reading of the TCP buffer pages in use. */
  sample(): void {
    this.readings.push({atUs: monotonicUs(), pages: readSockstat(this.root, this.sockstatPid)?.TCP?.mem ?? 0})
  }

  /** Stop broadcasting, wait for the last one to land (up to waitMs), and merge. */
  async finish(waitMs: number): Promise<FanoutReport> {
    const stopped = await Promise.all(this.servers.map((server) => server.ask(`broadcast 0 ${this.broadcast.size}`, 10_000)))
    const senders = stopped.map((reply) => parseBroadcastSends(reply.broadcastSends ?? ''))
    const expected = (seq: number) => senders.reduce((n, s) => n + (s.get(seq) ?? 0), 0)
    const lastSeq = Math.max(0, ...stopped.map((reply) => reply.broadcasts ?? 0))
    const deadline = performance.now() + waitMs
    for (;;) {
      const replies = await Promise.all(this.clients.map((client) => client.ask('fanout', 30_000)))
      const clients = replies.map((reply) => parseClientBroadcasts(reply.broadcasts))
      const lastDelivered = clients.flat().filter((b) => b.seq === lastSeq).reduce((n, b) => n + b.received, 0)
      if (lastSeq === 0 || lastDelivered >= expected(lastSeq) || performance.now() >= deadline) {
        return {everyMs: this.broadcast.everyMs, size: this.broadcast.size, broadcasts: mergeBroadcasts(clients, senders, this.readings), late: replies.reduce((n, r) => n + r.late, 0)}
      }
      this.sample()
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}
