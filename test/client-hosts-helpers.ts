// What the --client-hosts tests share: a probe run held open while the test reads the server's
// namespace on its own (ss, /proc/sys there), and the namespaces a run left.
import {execa} from 'execa'

import type {ProbeRunReport} from '../src/core/probe/run-report.js'
import {exitWithin, spawnC1m} from './spawn-c1m.js'

/** The namespaces of the probe run with this PID (its server's, its hosts', its router's). */
export async function probeNamespaces(pid: number): Promise<string[]> {
  return (await execa('ip', ['netns', 'list'])).stdout.split('\n').map((line) => line.split(' ')[0]).filter((n) => n.startsWith(`c1m-probe-${pid}-`))
}

/**
 * The peer addresses of the established TCP sockets in a namespace, as `ss` gives them (IPv6
 * without its brackets), one per socket; with `port`, only the sockets on that local port.
 */
export async function establishedPeers(netns: string, port?: number): Promise<string[]> {
  const filter = port === undefined ? [] : [`( sport = :${port} )`]
  const ss = await execa('ip', ['netns', 'exec', netns, 'ss', '-Htn', 'state', 'established', ...filter], {timeout: 30_000})
  return ss.stdout.split('\n').filter(Boolean).map((line) => line.trim().split(/\s+/).at(-1)!.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'))
}

/**
 * Run a probe that holds its connections for 3 s, and call `read` with its server namespace's name
 * meanwhile; then the report, the exit code and the PID.
 */
export async function duringHold<T>(args: string[], read: (netns: string) => Promise<T>, timeoutMs = 60_000): Promise<{seen: T; report: ProbeRunReport; exit: number | null; pid: number}> {
  // The namespace is named when the run starts; the hold comes after the ramp.
  const probe = await spawnC1m(['probe', '--json', '--hold', '3s', ...args], {waitFor: /in network namespace (\S+) [\s\S]*holding/i, timeoutMs})
  let seen: T
  try {
    seen = await read(probe.match[1])
  } finally {
    await exitWithin(probe, 30_000)
  }
  return {seen, report: JSON.parse(probe.output.stdout).result as ProbeRunReport, exit: await probe.exited, pid: probe.child.pid!}
}
