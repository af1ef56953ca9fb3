import type {ServerTreeReading} from '../core/probe/server-figures.js'
import {countTreeSockets, readProcessName} from '../host/probe/process-sockets.js'
import {readProcessTree} from '../host/read/process-tree.js'
import type {HostRoot} from '../host/files/root.js'

/** The sockets each --server-pid's tree holds now (undefined for a tree whose descriptors cannot be read). */
export function countServerSockets(root: HostRoot, serverPids: number[]): (number | undefined)[] {
  return serverPids.map((pid) => countTreeSockets(root, readProcessTree(root, pid)))
}

/** Each --server-pid's tree with the connections open: its name, processes, and sockets then and before. */
export function readServerTrees(root: HostRoot, serverPids: number[], before: (number | undefined)[]): ServerTreeReading[] {
  const after = countServerSockets(root, serverPids)
  return serverPids.map((pid, i) => {
    const was = before[i]
    const now = after[i]
    return {
      pid,
      name: readProcessName(root, pid),
      processes: readProcessTree(root, pid).length,
      ...(was === undefined || now === undefined ? {} : {sockets: {before: was, after: now}}),
    }
  })
}

/** Each tree of the PIDs as it is now: the processes in it (read again each time). */
export function serverTreesOf(root: HostRoot, serverPids: number[]): () => number[][] {
  return () => serverPids.map((pid) => readProcessTree(root, pid))
}
