import {appendFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {isOwnerAlive} from '../netns.js'
import {readStartTime} from '../read/process-stat.js'

// Two probes at once each measure about twice the kernel cost: every probe on the host signs in
// here for its run, so each knows whether another ran beside it. A run's file is named for its
// process (PID-STARTTIME, so a reused PID is not taken for it). One that starts while others run
// sees their files, and writes its PID into each of them, so a run that began first and ends
// last learns of it too. A file whose process is gone (kill -9) is removed by whoever sees it.

/**
 * Where the runs sign in: C1M_PROBE_RUNS_DIR when set (containers that share one kernel can share
 * one directory), else /run/c1m/probe-runs as root, else a directory of this user's in /tmp.
 */
export function probeRunsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.C1M_PROBE_RUNS_DIR) return env.C1M_PROBE_RUNS_DIR
  const uid = process.getuid?.() ?? 0
  return uid === 0 ? '/run/c1m/probe-runs' : path.join(os.tmpdir(), `c1m-probe-runs-${uid}`)
}

export interface ProbeRunSignIn {
  /** The PIDs of every other probe that ran while this one did, up to now. */
  others(): number[]
  /** Sign out (idempotent). */
  release(): void
}

const NAME = /^(\d+)-(\d+)$/

/** A directory of this user's, not a link, that no one else may write; else undefined. */
function ownDir(dir: string): string | undefined {
  try {
    mkdirSync(dir, {recursive: true, mode: 0o700})
    const st = lstatSync(dir)
    const uid = process.getuid?.() ?? 0
    return st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0 ? dir : undefined
  } catch {
    return undefined
  }
}

/**
 * Sign this probe run in; `others()` says who ran beside it. Where the directory cannot be used,
 * nobody is seen (the run is not worse off than before the sign-in existed).
 */
export function signInProbeRun(dir = probeRunsDir()): ProbeRunSignIn {
  const seen = new Set<number>()
  const usable = ownDir(dir)
  if (!usable) return {others: () => [], release() {}}
  const self = `${process.pid}-${readStartTime(process.pid) ?? 0}`
  const own = path.join(usable, self)
  writeFileSync(own, '', {mode: 0o600})
  const look = (tell: boolean) => {
    for (const name of readdirSync(usable)) {
      const match = NAME.exec(name)
      if (!match || name === self) continue
      const owner = {pid: Number(match[1]), startTime: Number(match[2])}
      const file = path.join(usable, name)
      if (!isOwnerAlive(owner)) {
        try {
          unlinkSync(file)
        } catch {
          // another run removed it first
        }
        continue
      }
      seen.add(owner.pid)
      if (tell) {
        try {
          appendFileSync(file, `${process.pid}\n`)
        } catch {
          // it signed out meanwhile
        }
      }
    }
  }
  look(true)
  let released = false
  return {
    others() {
      look(false)
      try {
        for (const line of readFileSync(own, 'utf8').split('\n')) if (/^\d+$/.test(line)) seen.add(Number(line))
      } catch {
        // removed by hand: what was seen stands
      }
      return [...seen].sort((a, b) => a - b)
    },
    release() {
      if (released) return
      released = true
      try {
        unlinkSync(own)
      } catch {
        // already gone
      }
    },
  }
}
