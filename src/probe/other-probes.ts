import {fitProblems} from '../core/probe/fit-quality.js'
import type {ProbeRunReport} from '../core/probe/run-report.js'
import {signInProbeRun} from '../host/probe/probe-runs.js'
import {cleanupOnExit} from './exit-cleanup.js'

/**
 * Run a probe signed in where probes sign in (host/probe-runs.ts), and mark its report when
 * another probe ran beside it: the other's sockets grew the same slab, so the kernel figure is
 * not a measurement. (A live probe namespace of another process is no sign: a test or a tool may
 * hold one named so without probing.)
 */
export async function markOtherProbes(run: () => Promise<ProbeRunReport>): Promise<ProbeRunReport> {
  const signIn = signInProbeRun()
  const signOut = cleanupOnExit(() => signIn.release())
  try {
    const report = await run()
    const others = signIn.others()
    if (others.length > 0) {
      report.concurrent = {pids: others}
      report.fit.problems = fitProblems(report)
    }
    return report
  } finally {
    signIn.release()
    signOut()
  }
}
