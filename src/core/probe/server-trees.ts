import {C1mError, usageError} from '../errors.js'

/**
 * Check the --server-pid trees as read: each PID is a process, none is given twice, and none is in
 * another's tree (it would be counted twice). Pure; throws the one line that says which.
 */
export function checkServerTrees(trees: {pid: number; tree: number[]}[]): void {
  for (const [i, {pid, tree}] of trees.entries()) {
    if (tree.length === 0) throw new C1mError('E_NO_PROCESS', `--server-pid ${pid}: no such process`, 'pass the PID of the server listening at --target (pgrep -f NAME)')
    const other = trees.find((t, j) => j !== i && t.tree.includes(pid))
    if (other) {
      throw usageError(other.pid === pid ? `--server-pid ${pid} is given twice` : `--server-pid ${pid} is a descendant of --server-pid ${other.pid}, whose tree is measured whole`, `drop --server-pid ${pid}`)
    }
  }
}
