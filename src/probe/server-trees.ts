import type {ServerTreeReading} from '../core/probe/server-figures.js'
import type {ExternalTarget} from '../core/probe/run-report.js'
import {countTreeSockets, readProcessName} from '../host/process-sockets.js'
import {readProcessTree} from '../host/process-tree.js'
import type {HostRoot} from '../host/root.js'

/** The sockets each --server-pid's tree holds now (undefined for a tree whose descriptors cannot be read). */
export function countServerSockets(root: HostRoot, target: ExternalTarget): (number | undefined)[] {
  return target.serverPids.map((pid) => countTreeSockets(root, readProcessTree(root, pid)))
}

/** Each --server-pid's tree with the connections open: its name, processes, and sockets then and before. */
export function readServerTrees(root: HostRoot, target: ExternalTarget, before: (number | undefined)[]): ServerTreeReading[] {
  const after = countServerSockets(root, target)
  return target.serverPids.map((pid, i) => {
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
