import {C1mError} from '../core/errors.js'
import type {IsolationChoice} from '../core/probe/plan-probe.js'
import type {Isolation} from '../core/probe/run-report.js'
import {hostRoot} from '../host/files/root.js'
import {cleanupOnExit} from './exit-cleanup.js'
import {readSysctl} from '../host/read/sysctl.js'
import {createProbeNetns, probeNetnsName, type ProbeNetns, PROBE_NETNS_SYSCTLS} from '../host/netns.js'

/** The host's own values of the limits the probe would set in its namespace. */
function hostLimits(): Record<string, string> {
  const root = hostRoot('/')
  return Object.fromEntries(Object.keys(PROBE_NETNS_SYSCTLS).map((key) => {
    const value = readSysctl(root, key)
    return [key, value.ok ? value.text : 'unreadable']
  }))
}

/** Make the namespace when asked (failing if it cannot be made); say where the probe runs either way. */
export async function isolate(options: {isolation: IsolationChoice; progress: (line: string) => void}): Promise<{isolation: Isolation; netns?: ProbeNetns}> {
  const describe = (sysctls: Record<string, string>) => Object.entries(sysctls).map(([k, v]) => `${k} ${v}`).join(', ')
  if (!options.isolation.netns) {
    const isolation = {netns: null, reason: options.isolation.reason, sysctls: hostLimits()}
    options.progress(`on the host loopback (${isolation.reason}), with the host's ${describe(isolation.sysctls)}`)
    return {isolation}
  }
  let netns: ProbeNetns
  try {
    netns = await createProbeNetns(probeNetnsName(), options.isolation.ownEhash, cleanupOnExit)
  } catch (error) {
    // Never fall back to the host loopback unasked: its limits and neighbours are not the ones the
    // run was meant to measure.
    throw new C1mError('E_PREFLIGHT', `could not create the probe's network namespace: ${(error as Error).message.replaceAll(/\s*\n\s*/g, '; ')}`, 'pass --no-netns to run on the host loopback with the host limits')
  }
  const own = netns.ownEhash ? `, an established hash of its own (${netns.ownEhash.entries} buckets: host net.ipv4.tcp_child_ehash_entries set for its creation, then restored to ${netns.ownEhash.restored})` : ''
  options.progress(`in network namespace ${netns.name} (deleted afterwards), with ${describe(netns.sysctls)}${own}`)
  return {netns, isolation: {netns: netns.name, reason: 'a network namespace of its own, deleted afterwards', sysctls: netns.sysctls, ...(netns.ownEhash ? {ownEhash: netns.ownEhash} : {})}}
}
