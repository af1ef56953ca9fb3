import {execa, execaSync} from 'execa'

import {PROBE_IPV6_SERVER} from '../../core/ipv6-prefix.js'
import {CLIENT_HOSTS_IPV6, clientHostAddresses, clientHostPrefix} from '../../core/probe/plan-client-hosts.js'
import {writeNetnsSysctl} from '../netns.js'

// Simulated client hosts for `c1m probe --client-hosts K [--nat] [--family 6]`: the server stays in
// the probe's namespace; each client host is a namespace of its own with its own subnet, joined by
// a veth pair to a hub. Without --nat the hub is the server's namespace, which routes to every
// subnet, so the server sees the clients' own addresses. With --nat the hub is a router namespace
// that masquerades the clients behind one address (nftables, ip or ip6 family), so conntrack holds
// an entry for every connection there. IPv4 hosts hang off a bridge, each /24 on-link; IPv6 hosts
// each have a point-to-point link and their /64 routed to them via a link-local next hop (the plan:
// CLIENT_HOSTS_IPV6 in src/core/probe/plan-client-hosts.ts). Everything is made with `ip` and
// `nft`, and all of it goes when the namespaces are deleted.

/** The server's IPv4 address, on the server namespace's lo; the clients route to it. */
export const SERVER_ADDRESS = '10.200.0.1'
const BRIDGE = 'c1m-br'

export interface ClientHost {
  /** 1-based. */
  index: number
  netns: string
  /** Its own subnet: 10.201.INDEX.0/24, or fd00:c1:INDEX::/64. */
  prefix: string
  /** Its source addresses (10.201.INDEX.2, .3, ..., or fd00:c1:INDEX::2, ::3, ...). */
  addresses: string[]
}

export interface ClientHostNet {
  family: 4 | 6
  hosts: ClientHost[]
  /** The router namespace when --nat, else undefined. */
  router?: string
  serverAddress: string
  remove(): Promise<void>
  removeSync(): void
}

async function ip(args: string[]): Promise<void> {
  const result = await execa('ip', args, {reject: false, timeout: 10_000})
  if (result.failed) throw new Error(`ip ${args.join(' ')}: ${String(result.stderr || result.shortMessage).trim()}`)
}

async function nft(netns: string, rule: string): Promise<void> {
  const result = await execa('ip', ['netns', 'exec', netns, 'nft', rule], {reject: false, timeout: 10_000})
  if (result.failed) {
    const why = /nft.*(not found|No such file)/i.test(String(result.stderr)) ? 'the nft command (nftables) is not installed' : String(result.stderr || result.shortMessage).trim()
    throw new Error(`nft ${rule}: ${why}`)
  }
}

/** The router's link to the server (c1m-up there, c1m-down in the server), its route and its masquerade. */
async function linkRouter(router: string, server: string, family: 4 | 6): Promise<void> {
  await ip(['-n', router, 'link', 'set', 'lo', 'up'])
  await ip(['-n', router, 'link', 'add', 'c1m-up', 'type', 'veth', 'peer', 'name', 'c1m-down', 'netns', server])
  if (family === 6) {
    // nodad: the addresses are usable at once, not tentative for a second of duplicate detection.
    await ip(['-n', router, '-6', 'addr', 'add', `${CLIENT_HOSTS_IPV6.natRouter}/64`, 'dev', 'c1m-up', 'nodad'])
    await ip(['-n', server, '-6', 'addr', 'add', `${CLIENT_HOSTS_IPV6.natServer}/64`, 'dev', 'c1m-down', 'nodad'])
  } else {
    await ip(['-n', router, 'addr', 'add', '10.202.0.1/30', 'dev', 'c1m-up'])
    await ip(['-n', server, 'addr', 'add', '10.202.0.2/30', 'dev', 'c1m-down'])
  }
  await ip(['-n', router, 'link', 'set', 'c1m-up', 'up'])
  await ip(['-n', server, 'link', 'set', 'c1m-down', 'up'])
  const table = family === 6 ? 'ip6' : 'ip'
  if (family === 6) {
    await ip(['-n', router, '-6', 'route', 'add', `${PROBE_IPV6_SERVER}/128`, 'via', CLIENT_HOSTS_IPV6.natServer])
    await writeNetnsSysctl(router, 'net.ipv6.conf.all.forwarding', '1')
  } else {
    await ip(['-n', router, 'route', 'add', `${SERVER_ADDRESS}/32`, 'via', '10.202.0.2'])
    await writeNetnsSysctl(router, 'net.ipv4.ip_forward', '1')
  }
  await nft(router, `add table ${table} c1m`)
  await nft(router, `add chain ${table} c1m post { type nat hook postrouting priority srcnat; }`)
  await nft(router, `add rule ${table} c1m post oifname "c1m-up" masquerade`)
}

/** An IPv4 host: its end of a veth on the hub's bridge, its /24's gateway there, its addresses on eth0. */
async function linkIpv4Host(hub: string, host: ClientHost): Promise<void> {
  await ip(['-n', hub, 'link', 'add', `c1m-h${host.index}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns])
  await ip(['-n', hub, 'link', 'set', `c1m-h${host.index}`, 'master', BRIDGE, 'up'])
  await ip(['-n', hub, 'addr', 'add', `10.201.${host.index}.1/24`, 'dev', BRIDGE])
  for (const address of host.addresses) await ip(['-n', host.netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0'])
  await ip(['-n', host.netns, 'link', 'set', 'eth0', 'up'])
  await ip(['-n', host.netns, 'route', 'add', 'default', 'via', `10.201.${host.index}.1`])
}

/**
 * An IPv6 host: a point-to-point veth with link-local addresses only, its /64 routed to it by the
 * hub, and in the host the /64 routed local on lo with net.ipv6.ip_nonlocal_bind 1 (in its
 * namespace only), so its clients bind any address of it without adding each.
 */
async function linkIpv6Host(hub: string, host: ClientHost): Promise<void> {
  const hubSide = `c1m-h${host.index}`
  await ip(['-n', hub, 'link', 'add', hubSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns])
  await ip(['-n', hub, '-6', 'addr', 'add', `${CLIENT_HOSTS_IPV6.hubLinkLocal}/64`, 'dev', hubSide, 'nodad'])
  await ip(['-n', host.netns, '-6', 'addr', 'add', `${CLIENT_HOSTS_IPV6.hostLinkLocal}/64`, 'dev', 'eth0', 'nodad'])
  await ip(['-n', hub, 'link', 'set', hubSide, 'up'])
  await ip(['-n', host.netns, 'link', 'set', 'eth0', 'up'])
  await ip(['-n', hub, '-6', 'route', 'add', host.prefix, 'via', CLIENT_HOSTS_IPV6.hostLinkLocal, 'dev', hubSide])
  await ip(['-n', host.netns, '-6', 'route', 'add', 'local', host.prefix, 'dev', 'lo'])
  await ip(['-n', host.netns, '-6', 'route', 'add', 'default', 'via', CLIENT_HOSTS_IPV6.hubLinkLocal, 'dev', 'eth0'])
  await writeNetnsSysctl(host.netns, 'net.ipv6.ip_nonlocal_bind', '1')
}

/**
 * Make K client hosts around the server namespace `server`, host k holding `addressCounts[k-1]`
 * source addresses. Over IPv6 the server namespace already holds the probe's fd00:c1::/64 (made
 * by --family 6) and its server listens on fd00:c1::1. Deletes what it made if any step fails.
 */
export async function createClientHosts(server: string, addressCounts: number[], nat: boolean, family: 4 | 6 = 4): Promise<ClientHostNet> {
  const hosts: ClientHost[] = addressCounts.map((count, i) => ({
    index: i + 1,
    netns: `${server}-c${i + 1}`,
    prefix: clientHostPrefix(i + 1, family),
    addresses: clientHostAddresses(i + 1, count, family),
  }))
  const router = nat ? `${server}-nat` : undefined
  const made: string[] = []
  const removeSync = () => {
    for (const name of made.splice(0)) execaSync('ip', ['netns', 'delete', name], {reject: false, timeout: 10_000})
  }
  const remove = async () => {
    const names = made.splice(0)
    await Promise.all(names.map((name) => execa('ip', ['netns', 'delete', name], {reject: false, timeout: 10_000})))
  }
  try {
    if (family === 4) await ip(['-n', server, 'addr', 'add', `${SERVER_ADDRESS}/32`, 'dev', 'lo'])
    const hub = router ?? server
    if (router) {
      await ip(['netns', 'add', router])
      made.push(router)
      await linkRouter(router, server, family)
    }
    if (family === 4) {
      await ip(['-n', hub, 'link', 'add', BRIDGE, 'type', 'bridge'])
      await ip(['-n', hub, 'link', 'set', BRIDGE, 'up'])
    }
    for (const host of hosts) {
      await ip(['netns', 'add', host.netns])
      made.push(host.netns)
      await ip(['-n', host.netns, 'link', 'set', 'lo', 'up'])
      await (family === 6 ? linkIpv6Host(hub, host) : linkIpv4Host(hub, host))
    }
  } catch (error) {
    await remove()
    throw error
  }
  return {family, hosts, router, serverAddress: family === 6 ? PROBE_IPV6_SERVER : SERVER_ADDRESS, remove, removeSync}
}
