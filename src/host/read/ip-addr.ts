import {execa} from 'execa'

function ipArgs(args: string[], netns?: string): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, 'ip', ...args]] : ['ip', args]
}

/** IPv4 addresses on an interface (in a namespace when given). */
export async function listIpv4(iface: string, netns?: string): Promise<string[]> {
  const [cmd, args] = ipArgs(['-j', '-4', 'addr', 'show', 'dev', iface], netns)
  const result = await execa(cmd, args, {reject: false})
  if (result.exitCode !== 0) throw new Error(`ip addr show dev ${iface}: ${result.stderr.trim()}`)
  const links = JSON.parse(result.stdout || '[]') as {addr_info?: {local: string}[]}[]
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local))
}

/** `ip addr add IP/32 dev IF`: one more source address, reachable only from this host. */
export async function addIpv4(iface: string, address: string, netns?: string): Promise<void> {
  const [cmd, args] = ipArgs(['addr', 'add', `${address}/32`, 'dev', iface], netns)
  const result = await execa(cmd, args, {reject: false})
  if (result.exitCode !== 0) throw new Error(`ip addr add ${address}/32 dev ${iface}: ${result.stderr.trim()}`)
}

export async function delIpv4(iface: string, address: string, netns?: string): Promise<void> {
  const [cmd, args] = ipArgs(['addr', 'del', `${address}/32`, 'dev', iface], netns)
  const result = await execa(cmd, args, {reject: false})
  if (result.exitCode !== 0) throw new Error(`ip addr del ${address}/32 dev ${iface}: ${result.stderr.trim()}`)
}
