import {execa, execaSync} from 'execa'

import {writeNetnsSysctl} from '../netns.js'

// Simulated client hosts for `c1m probe --client-hosts K [--nat]`: the server stays in the
// probe's namespace; each client host is a namespace of its own with its own subnet, joined by
// a veth pair to a bridge. Without --nat the bridge is in the server's namespace, which routes
// to every subnet, so the server sees the clients' own addresses. With --nat the bridge is in a
// router namespace that masquerades the clients behind one address (nftables), so conntrack
// holds an entry for every connection there. Everything is made with `ip` and `nft`, and all
// of it goes when the namespaces are deleted.

/** The server's address, on the server namespace's lo; the clients route to it. */
export const SERVER_ADDRESS = '10.200.0.1'
const BRIDGE = 'c1m-br'

export interface ClientHost {
  /** 1-based. */
  index: number
  netns: string
  /** Its source addresses (10.201.INDEX.2, .3, ...). */
  addresses: string[]
}

export interface ClientHostNet {
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

/**
 * Make K client hosts around the server namespace `server`, host k holding `addressCounts[k-1]`
 * source addresses. Deletes what it made if any step fails.
 */
export async function createClientHosts(server: string, addressCounts: number[], nat: boolean): Promise<ClientHostNet> {
  const hosts: ClientHost[] = addressCounts.map((count, i) => ({
    index: i + 1,
    netns: `${server}-c${i + 1}`,
    addresses: Array.from({length: count}, (_, a) => `10.201.${i + 1}.${a + 2}`),
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
    await ip(['-n', server, 'addr', 'add', `${SERVER_ADDRESS}/32`, 'dev', 'lo'])
    const hub = router ?? server
    if (router) {
      await ip(['netns', 'add', router])
      made.push(router)
      await ip(['-n', router, 'link', 'set', 'lo', 'up'])
      await ip(['-n', router, 'link', 'add', 'c1m-up', 'type', 'veth', 'peer', 'name', 'c1m-down', 'netns', server])
      await ip(['-n', router, 'addr', 'add', '10.202.0.1/30', 'dev', 'c1m-up'])
      await ip(['-n', server, 'addr', 'add', '10.202.0.2/30', 'dev', 'c1m-down'])
      await ip(['-n', router, 'link', 'set', 'c1m-up', 'up'])
      await ip(['-n', server, 'link', 'set', 'c1m-down', 'up'])
      await ip(['-n', router, 'route', 'add', `${SERVER_ADDRESS}/32`, 'via', '10.202.0.2'])
      await writeNetnsSysctl(router, 'net.ipv4.ip_forward', '1')
      await nft(router, 'add table ip c1m')
      await nft(router, 'add chain ip c1m post { type nat hook postrouting priority srcnat; }')
      await nft(router, 'add rule ip c1m post oifname "c1m-up" masquerade')
    }
    await ip(['-n', hub, 'link', 'add', BRIDGE, 'type', 'bridge'])
    await ip(['-n', hub, 'link', 'set', BRIDGE, 'up'])
    for (const host of hosts) {
      await ip(['netns', 'add', host.netns])
      made.push(host.netns)
      await ip(['-n', host.netns, 'link', 'set', 'lo', 'up'])
      await ip(['-n', hub, 'link', 'add', `c1m-h${host.index}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns])
      await ip(['-n', hub, 'link', 'set', `c1m-h${host.index}`, 'master', BRIDGE, 'up'])
      await ip(['-n', hub, 'addr', 'add', `10.201.${host.index}.1/24`, 'dev', BRIDGE])
      for (const address of host.addresses) await ip(['-n', host.netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0'])
      await ip(['-n', host.netns, 'link', 'set', 'eth0', 'up'])
      await ip(['-n', host.netns, 'route', 'add', 'default', 'via', `10.201.${host.index}.1`])
    }
  } catch (error) {
    await remove()
    throw error
  }
  return {hosts, router, serverAddress: SERVER_ADDRESS, remove, removeSync}
}
