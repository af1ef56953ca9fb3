import {type Check, Skip} from '../check.js'
import type {SysctlFileEntry} from '../../host-snapshot.js'

/** Keys the kernel dropped, and why. */
export const REMOVED_KEYS: Record<string, string> = {
  'net.ipv4.tcp_tw_recycle': 'removed in Linux 4.12; it broke clients behind NAT',
  'net.ipv4.tcp_low_latency': 'a no-op since 4.14',
  'net.ipv4.tcp_fack': 'removed in 4.15',
  'net.ipv4.route.max_size': 'has no effect on IPv4 since 3.6',
}

/** Names from before the conntrack rewrite (2.6.20) and their current names. */
export const RENAMED_KEYS: Record<string, string> = {
  'net.ipv4.netfilter.ip_conntrack_max': 'net.netfilter.nf_conntrack_max',
  'net.ipv4.netfilter.ip_conntrack_buckets': 'net.netfilter.nf_conntrack_buckets',
  'net.ipv4.netfilter.ip_conntrack_tcp_timeout_established': 'net.netfilter.nf_conntrack_tcp_timeout_established',
  'net.ipv4.netfilter.ip_conntrack_tcp_timeout_time_wait': 'net.netfilter.nf_conntrack_tcp_timeout_time_wait',
  'net.ipv4.ip_conntrack_max': 'net.netfilter.nf_conntrack_max',
}

const where = (e: SysctlFileEntry) => `${e.file}:${e.line}`

export const hygieneChecks: Check[] = [
  {
    id: 'hygiene.unknown-keys',
    area: 'hygiene',
    title: 'sysctl files name keys this kernel has',
    reads: ['/etc/sysctl.conf', '/etc/sysctl.d/*.conf', '/usr/lib/sysctl.d/*.conf'],
    why: 'a key the kernel no longer has makes `sysctl -p` stop with an error, and the lines after it may never be applied',
    evaluate(ctx) {
      const {entries, files} = ctx.host.sysctlFiles
      if (files.length === 0) throw new Skip('no sysctl configuration files')
      const bad = entries.filter((e) => ctx.host.sysctlKeyExists[e.key] === false)
      if (bad.length === 0) return {status: 'pass', current: `${entries.length} keys in ${files.length} files`, needed: 'every key exists'}
      const explain = (e: SysctlFileEntry) => {
        if (RENAMED_KEYS[e.key]) return `${e.key} (${where(e)}) is the old name of ${RENAMED_KEYS[e.key]}`
        if (REMOVED_KEYS[e.key]) return `${e.key} (${where(e)}): ${REMOVED_KEYS[e.key]}`
        return `${e.key} (${where(e)}) does not exist here (module not loaded, or removed)`
      }
      const renames = bad.filter((e) => RENAMED_KEYS[e.key])
      return {
        status: 'warn',
        current: bad.map((e) => explain(e)).join('; '),
        needed: 'only keys this kernel has',
        fix: [
          ...bad.filter((e) => !RENAMED_KEYS[e.key]).map((e) => `sed -i '${e.line}s/^/# /' ${e.file}`),
          ...renames.map((e) => `sed -i '${e.line}s/${e.key.replaceAll('.', '\\.')}/${RENAMED_KEYS[e.key]}/' ${e.file}`),
        ].join(' && '),
      }
    },
  },
  {
    id: 'hygiene.overrides',
    area: 'hygiene',
    title: 'no sysctl set to different values in two files',
    reads: ['/etc/sysctl.conf', '/etc/sysctl.d/*.conf', '/usr/lib/sysctl.d/*.conf'],
    why: 'files apply in name order and the last one wins: a tuning file can be silently undone by one that sorts after it',
    evaluate(ctx) {
      const {entries, files} = ctx.host.sysctlFiles
      if (files.length === 0) throw new Skip('no sysctl configuration files')
      const byKey = new Map<string, SysctlFileEntry[]>()
      for (const e of entries) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e])
      const clashes = [...byKey.values()].filter((list) => new Set(list.map((e) => e.value)).size > 1)
      if (clashes.length === 0) return {status: 'pass', current: `${entries.length} keys in ${files.length} files`, needed: 'one value per key'}
      return {
        status: 'warn',
        current: clashes.map((list) => `${list[0].key}: ${list.map((e) => `${e.value} (${where(e)})`).join(' then ')}; ${list.at(-1)!.value} wins`).join('; '),
        needed: 'one value per key',
        fix: `${clashes.map((list) => `sed -i '${list[0].line}d' ${list[0].file}`).join(' && ')}`,
      }
    },
  },
]
