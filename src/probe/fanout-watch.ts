import {readSockstat} from '../host/read/memory.js'
import type {HostRoot} from '../host/files/root.js'
import {type FanoutReport, fanoutReport, type FanoutSource, type MemReading, parseBroadcastSends, parseClientBroadcasts} from '../core/probe/fanout.js'
import type {Peer} from './peer.js'

/** CLOCK_MONOTONIC in microseconds: on Linux node's hrtime is that clock, the one the probes stamp. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n)
}

/**
 * Fan-out during a hold: the bundled servers' broadcasts, or the first client publishing through
 * the user's server. Started with `start`, sockstat TCP mem read at each `sample` (stamped on the
 * probes' clock, so each broadcast gets the peak of its burst), and at `finish` stopped and every
 * client's (and server's) figures merged per broadcast.
 */
export class FanoutWatch {
  private readonly readings: MemReading[] = []

  constructor(
    private readonly root: HostRoot,
    private readonly source: FanoutSource,
    private readonly servers: Array<Peer<'server'>>,
    private readonly clients: Array<Peer<'client'>>,
    private readonly sockstatPid?: number,
  ) {}

  async start(): Promise<void> {
    const {source} = this
    if (source.kind === 'broadcast') await Promise.all(this.servers.map((server) => server.ask(`broadcast ${source.everyMs} ${source.size}`, 10_000)))
    else if (source.kind === 'publish') await this.clients[0].ask(`publish ${source.everyMs} ${source.text}`, 10_000)
  }

  /** One reading of the TCP buffer pages in use. */
  sample(): void {
    this.readings.push({atUs: monotonicUs(), pages: readSockstat(this.root, this.sockstatPid)?.TCP?.mem ?? 0})
  }

  /**
   * What each broadcast was sent to: the servers' own counts, or for --publish every connection
   * held; for messages someone else published, nothing yet (the connections held, once seen).
   */
  private async stop(): Promise<{senders: Array<Map<number, number>>; lastSeq: number}> {
    const {source} = this
    if (source.kind === 'observed') return {senders: [], lastSeq: 0}
    if (source.kind === 'broadcast') {
      const stopped = await Promise.all(this.servers.map((server) => server.ask(`broadcast 0 ${source.size}`, 10_000)))
      return {senders: stopped.map((reply) => parseBroadcastSends(reply.broadcastSends ?? '')), lastSeq: Math.max(0, ...stopped.map((reply) => reply.broadcasts ?? 0))}
    }
    const stopped = await this.clients[0].ask('publish 0', 10_000)
    const counts = await Promise.all(this.clients.map((client) => client.ask('count', 10_000)))
    const held = counts.reduce((n, c) => n + c.established, 0) - (source.publisherReceives ? 0 : 1)
    return {senders: [new Map(Array.from({length: stopped.published}, (_, i) => [i + 1, held]))], lastSeq: stopped.published}
  }

  /** Stop sending, wait for the last message (up to waitMs), and merge; none when none had the token. */
  async finish(waitMs: number): Promise<FanoutReport | undefined> {
    const {senders, lastSeq} = await this.stop()
    if (this.source.kind === 'observed') return this.observed()
    const expected = (seq: number) => senders.reduce((n, s) => n + (s.get(seq) ?? 0), 0)
    const deadline = performance.now() + waitMs
    for (;;) {
      const replies = await Promise.all(this.clients.map((client) => client.ask('fanout', 30_000)))
      const clients = replies.map((reply) => parseClientBroadcasts(reply.broadcasts))
      const lastDelivered = clients.flat().filter((b) => b.seq === lastSeq).reduce((n, b) => n + b.received, 0)
      if (lastSeq === 0 || lastDelivered >= expected(lastSeq) || performance.now() >= deadline) {
        return fanoutReport(this.source, clients, senders, this.readings, replies.reduce((n, r) => n + r.late, 0))
      }
      this.sample()
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Messages someone else published with the token: each was due to reach every connection held. */
  private async observed(): Promise<FanoutReport | undefined> {
    const replies = await Promise.all(this.clients.map((client) => client.ask('fanout', 30_000)))
    const clients = replies.map((reply) => parseClientBroadcasts(reply.broadcasts))
    if (clients.flat().length === 0) return undefined
    const counts = await Promise.all(this.clients.map((client) => client.ask('count', 10_000)))
    const held = counts.reduce((n, c) => n + c.established, 0)
    const senders = [new Map(clients.flat().map((b) => [b.seq, held]))]
    return fanoutReport(this.source, clients, senders, this.readings, replies.reduce((n, r) => n + r.late, 0))
  }
}
