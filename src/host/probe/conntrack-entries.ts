import {execa} from 'execa'

import type {ConntrackEntries} from '../../core/probe/run-report.js'

/**
 * Count the entries of namespace `netns`'s own conntrack table by family: /proc/net/nf_conntrack
 * seen from inside it lists that namespace's entries only, each line starting with its family
 * (ipv4 or ipv6). Counted by awk in the namespace, so the table's text (some 300 bytes an IPv6
 * entry) never reaches c1m. Undefined when the kernel has no such file (no CONFIG_NF_CONNTRACK_PROCFS)
 * or the count fails.
 */
export async function countConntrackEntries(netns: string): Promise<ConntrackEntries | undefined> {
  const program = '{n[$1]++} END {print n["ipv4"]+0, n["ipv6"]+0}'
  const result = await execa('ip', ['netns', 'exec', netns, 'awk', program, '/proc/net/nf_conntrack'], {reject: false, timeout: 60_000})
  const match = /^(\d+) (\d+)$/.exec(String(result.stdout).trim())
  if (result.failed || !match) return undefined
  return {ipv4: Number(match[1]), ipv6: Number(match[2])}
}
