import {setTimeout as sleep} from 'node:timers/promises'

import {MAX_TIMER_MS} from '../core/duration.js'

/** Sleep for ms (Infinity: until aborted); returns false when the signal cut it short. */
export async function waitFor(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false
  try {
    // setTimeout cannot wait longer than MAX_TIMER_MS; wait in slices no longer.
    let left = ms
    while (left > 0) {
      const slice = Math.min(left, MAX_TIMER_MS)
      await sleep(slice, undefined, {signal})
      left -= slice
    }
    return true
  } catch (error) {
    if ((error as Error).name === 'AbortError') return false
    throw error
  }
}

/**
 * An AbortSignal that fires on SIGINT or SIGTERM until `release()` is called. A second
 * signal exits at once (130); the probe processes see their parent go (SIGTERM from
 * PR_SET_PDEATHSIG for native, stdin closing for node) and close their connections.
 */
export function abortOnSignals(onSignal: (name: string) => void): {signal: AbortSignal; release: () => void} {
  const controller = new AbortController()
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`${name} again: exiting now; the probe processes close their connections as they see c1m go\n`)
      process.exit(130)
    }
    onSignal(name)
    controller.abort()
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    signal: controller.signal,
    release() {
      process.removeListener('SIGINT', handler)
      process.removeListener('SIGTERM', handler)
    },
  }
}
