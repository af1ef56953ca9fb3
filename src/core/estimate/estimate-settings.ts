import type {EstimateResult} from './plan-estimate.js'
import {IPV6_NEIGH_THRESH} from '../needs.js'
import {formatCount} from '../units.js'

export interface SettingRow {
  /** sysctl name or limit. */
  name: string
  value: string
  /** This host's value, where it was read. */
  current?: string
  why: string
}

const n = formatCount

/**
 * The settings N connections need, one row each, from the same model (computeNeeds) that
 * `c1m apply --profile million` sets and `c1m doctor` checks.
 */
export function settingRows(result: EstimateResult, sysctl: Record<string, string> = {}): SettingRow[] {
  const s = result.settings
  const per = result.hosts > 1 ? ` (per host, ${n(result.connsPerHost)} connections)` : ''
  const rows: SettingRow[] = [
    {name: 'fs.file-max', value: String(s.fileMax), current: sysctl['fs.file-max'], why: `${n(s.sockets)} sockets plus 5% (at least 65,536) for the rest${per}`},
    {name: 'fs.nr_open', value: String(s.nrOpen), current: sysctl['fs.nr_open'], why: 'at least the per-process need, never below the kernel default'},
    {name: 'nofile soft/hard', value: `${s.nofile} / ${s.nofile}`, why: `one side's connections in one process plus ${n(s.perProcessFds - result.connsPerHost)} for everything else`},
  ]
  if (s.processes && s.processes.count > 1) {
    rows.push({name: 'processes per side', value: String(s.processes.count), current: `hard nofile ${n(s.processes.hardNofile)}`, why: 'where the hard nofile limit cannot be raised, shard over this many processes (SO_REUSEPORT on the server)'})
  }
  // The keys and roles of profiles/million.yaml: the accept queue where this host accepts, TIME_WAIT
  // reuse where it connects (test/estimate-settings.test.ts holds the two lists equal).
  if (result.role !== 'client') {
    rows.push(
      {name: 'net.core.somaxconn', value: String(s.somaxconn), current: sysctl['net.core.somaxconn'], why: 'a reconnect storm of N/64 pending connections, a power of two in 4096-65535'},
      {name: 'net.ipv4.tcp_max_syn_backlog', value: String(s.synBacklog), current: sysctl['net.ipv4.tcp_max_syn_backlog'], why: 'the same as somaxconn'},
    )
  }
  rows.push(
    {name: 'net.core.netdev_max_backlog', value: String(s.netdevBacklog), current: sysctl['net.core.netdev_max_backlog'], why: 'N/100 packets queued between the network card and the stack, a power of two in 1000-65536'},
    {name: 'net.ipv4.tcp_max_tw_buckets', value: String(s.twBuckets), current: sysctl['net.ipv4.tcp_max_tw_buckets'], why: 'every connection may sit in TIME_WAIT after a mass close'},
  )
  if (result.role === 'client') {
    rows.push({name: 'net.ipv4.tcp_tw_reuse', value: '1', current: sysctl['net.ipv4.tcp_tw_reuse'], why: 'the connecting side reuses a TIME_WAIT port for a new connection'})
  }
  if (s.portRange) {
    const cur = s.sourceAddressesCurrentRange
    rows.push(
      {name: 'net.ipv4.ip_local_port_range', value: `${s.portRange[0]} ${s.portRange[1]}`, current: sysctl['net.ipv4.ip_local_port_range'], why: 'the widest unprivileged range: 64,512 ports per (source, destination) pair'},
      {name: 'source addresses', value: String(s.sourceAddresses), current: cur ? `${cur.addresses} with ${cur.range[0]}-${cur.range[1]}` : undefined, why: result.family === 6
        ? 'client side: one address per 64,512 connections to one destination, all from one prefix routed to the client (ip -6 route add local PREFIX dev lo)'
        : 'client side: one address per 64,512 connections to one destination (all of 127.0.0.0/8 works on lo)'},
    )
  }
  if (result.family === 6) {
    if (result.role !== 'server') rows.push({name: 'net.ipv6.ip_nonlocal_bind', value: '1', current: sysctl['net.ipv6.ip_nonlocal_bind'], why: "c1m's own: bind the addresses of the routed prefix without adding each"})
    IPV6_NEIGH_THRESH.forEach((value, i) => {
      const key = `net.ipv6.neigh.default.gc_thresh${i + 1}`
      rows.push({name: key, value: String(value), current: sysctl[key], why: ["c1m's own: no collection of the NDISC table below 1024 peers", "c1m's own: collection after 5 s above 2048", "c1m's own: the table is full at 4096 peers"][i]})
    })
  }
  rows.push(
    {name: 'net.netfilter.nf_conntrack_max', value: String(s.conntrackMax), current: sysctl['net.netfilter.nf_conntrack_max'], why: result.conntrack.counted ? 'one entry per connection plus 10%' : `one entry per connection plus 10%, needed once a ruleset tracks connections; now ${result.conntrack.why}`},
    {name: 'net.netfilter.nf_conntrack_buckets', value: String(s.conntrackBuckets), current: sysctl['net.netfilter.nf_conntrack_buckets'], why: 'a quarter of the entries, so chains average 4 or fewer'},
  )
  const buffers = s.tcpMemForBuffers
  const raised = buffers.some((v, i) => v > s.tcpMemForRam[i])
  rows.push({
    name: 'net.ipv4.tcp_mem (pages)',
    value: s.tcpMem.join(' '),
    current: s.tcpMemCurrent?.join(' '),
    why: buffers[2] === 0
      ? 'what c1m apply sets: 3/32, 1/8 and 3/16 of RAM; idle connections hold no buffer pages (see --message-size, --active)'
      : `3/32, 1/8 and 3/16 of RAM, as c1m apply sets${raised ? ', raised to' : '; the buffers need'} ${buffers.join(' ')} (${n(buffers[0])} pages in use, pressure +25%, max +50%)`,
  })
  return rows
}
