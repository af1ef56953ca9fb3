const cleanups = new Set<() => void>()
let installed = false

function runAll(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup)
    try {
      cleanup()
    } catch {
      // exiting: nothing more can be done about it
    }
  }
}

/**
 * Run `cleanup` (synchronous) if the process exits before `release()` is called: the path
 * a second Ctrl-C or an uncaught error takes past every finally block.
 */
export function cleanupOnExit(cleanup: () => void): () => void {
  if (!installed) {
    installed = true
    process.on('exit', runAll)
  }
  cleanups.add(cleanup)
  return () => {
    cleanups.delete(cleanup)
  }
}
