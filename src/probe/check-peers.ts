import {readProcessRss} from '../host/read/process-memory.js'
import type {HostRoot} from '../host/files/root.js'
import type {Peer} from './peer.js'

/**
 * Probe processes that are gone, or hold no memory (they are exiting), as of now: VmRSS alone, so
 * a sample does not walk each process's page tables twice (smaps_rollup is read for the PSS).
 */
export function findEmptyPeers(root: HostRoot, peers: Peer[]): Peer[] {
  return peers.filter((peer) => !((readProcessRss(root, peer.pid) ?? 0) > 0))
}

/** How long a live probe process may take to answer "count" (it answers between other work). */
const ANSWER_MS = 10_000

/**
 * Why the probe processes cannot carry the run on: "interrupted" when the run was aborted,
 * else the first one found gone, with how it ended and its PID ("echo server 1 (...) exited
 * (SIGKILL), PID 4242"); undefined when every one answers. Each is asked for its count: a
 * dead one fails at once with the reason, a live one answers.
 */
export async function whyPeersStopped(peers: Peer[], signal?: AbortSignal): Promise<string | undefined> {
  const gone = await new Promise<string | undefined>((resolve) => {
    let answered = 0
    if (peers.length === 0) resolve(undefined)
    for (const peer of peers) {
      peer.ask('count', ANSWER_MS).then(
        () => {
          if (++answered === peers.length) resolve(undefined)
        },
        (error: Error) => resolve(`${error.message}, PID ${peer.pid}`),
      )
    }
  })
  // The await above gives a pending SIGINT or SIGTERM its turn to abort the run.
  if (signal?.aborted) return 'interrupted'
  return gone
}
