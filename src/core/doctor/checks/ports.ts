import {type Check, type CheckContext, Skip, sysctlFix, sysctlNumbers} from '../check.js'
import {portsPerTuple, PORTS_MAX, sourceAddressesNeeded} from '../../needs.js'
import type {LocalAddress} from '../../host-snapshot.js'
import {formatCount} from '../../units.js'

/** Ports of ip_local_reserved_ports ("8080,9000-9010") that fall inside the range. */
export function reservedInRange(text: string | undefined, range: [number, number]): number {
  if (!text) return 0
  let count = 0
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [a, b] = part.split('-').map(Number)
    const lo = Math.max(a, range[0])
    const hi = Math.min(b ?? a, range[1])
    if (hi >= lo) count += hi - lo + 1
  }
  return count
}

function portFacts(ctx: CheckContext) {
  if (ctx.target.role === 'server') throw new Skip('a server accepts on its listening port and uses no ephemeral ports (use --role client or loopback)')
  const [lo, hi] = sysctlNumbers(ctx, 'net.ipv4.ip_local_port_range', 2) as [number, number]
  const reserved = reservedInRange(ctx.host.sysctl['net.ipv4.ip_local_reserved_ports'], [lo, hi])
  const ports = portsPerTuple([lo, hi], reserved)
  return {lo, hi, ports, sources: sourceAddressesNeeded(ctx.target.conns, ports)}
}

/** Next addresses after `base` in its IPv4 subnet that are not in `taken`. */
export function nextFreeAddresses(base: LocalAddress, taken: Set<string>, count: number): string[] {
  const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0)
  const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')
  const size = 2 ** (32 - base.prefix)
  const network = toInt(base.address) - (toInt(base.address) % size)
  const out: string[] = []
  for (let n = toInt(base.address) + 1; n < network + size - 1 && out.length < count; n++) {
    if (!taken.has(toIp(n))) out.push(toIp(n))
  }
  return out
}

export const portChecks: Check[] = [
  {
    id: 'ports.range',
    area: 'ports',
    title: 'net.ipv4.ip_local_port_range',
    reads: ['/proc/sys/net/ipv4/ip_local_port_range', '/proc/sys/net/ipv4/ip_local_reserved_ports'],
    why: 'a client gets one connection per local port for each (source IP, destination IP, destination port); the range sets how many',
    evaluate(ctx) {
      const {lo, hi, ports, sources} = portFacts(ctx)
      const wide = ports >= PORTS_MAX || ctx.target.conns <= ports
      return {
        status: wide ? 'pass' : 'warn',
        current: `${lo}-${hi} (${formatCount(ports)} ports per tuple)`,
        needed: ctx.target.conns <= ports ? `>= ${formatCount(ctx.target.conns)} ports` : `1024-65535 (${formatCount(PORTS_MAX)} ports)`,
        breaksAt: ports,
        reason: wide ? undefined : `${formatCount(ctx.target.conns)} connections to one ip:port need ${formatCount(sources)} source addresses at this width, ${formatCount(sourceAddressesNeeded(ctx.target.conns, PORTS_MAX))} at the widest`,
        fix: wide ? undefined : sysctlFix('net.ipv4.ip_local_port_range', '1024 65535'),
      }
    },
  },
  {
    id: 'ports.sources',
    area: 'ports',
    title: 'source addresses for N connections to one ip:port',
    reads: ['/proc/sys/net/ipv4/ip_local_port_range', '/sys/class/net/*/operstate', 'interface addresses'],
    why: 'past one range of ports per source address, connect() fails with EADDRNOTAVAIL; more source addresses (or destination ports) are the only way on',
    evaluate(ctx) {
      const {ports, sources} = portFacts(ctx)
      const a = ctx.host.addresses
      if (ctx.target.role === 'loopback') {
        return {
          status: 'pass',
          current: 'all of 127.0.0.0/8 is usable on lo without an alias',
          needed: `${formatCount(sources)} source address${sources > 1 ? 'es' : ''} (127.0.0.1-127.0.0.${Math.min(sources, 254)})`,
          reason: sources > 1 ? 'the client must bind each connection to its source address and port itself; c1m client does' : undefined,
        }
      }
      if (!a || a.problem) throw new Skip(a?.problem ?? 'interfaces were not read')
      const usable = a.addresses.filter((x) => x.family === 'IPv4' && !x.internal)
      const perIface = new Map<string, string[]>()
      for (const x of usable) perIface.set(x.iface, [...(perIface.get(x.iface) ?? []), x.address])
      const current = [...perIface].map(([i, list]) => `${i}: ${list.join(' ')}`).join('; ') || 'no non-loopback IPv4 address'
      const base = {current, needed: `${formatCount(sources)} source address${sources > 1 ? 'es' : ''} (${formatCount(ports)} ports each)`, breaksAt: usable.length * ports}
      if (usable.length >= sources) return {status: 'pass', ...base}
      const gap = sources - usable.length
      if (usable.length === 0) return {status: 'fail', ...base, fix: `ip addr add ADDRESS/PREFIX dev IFACE   # ${gap} free addresses on the server-facing network`}
      const add = nextFreeAddresses(usable[0], new Set(a.addresses.map((x) => x.address)), gap)
      return {
        status: 'fail',
        ...base,
        reason: `${gap} more source address${gap > 1 ? 'es' : ''} needed, or spread the connections over ${sources} destination ports; check these addresses are free on your network first`,
        fix: `for ip in ${add.join(' ')}; do ip addr add $ip/${usable[0].prefix} dev ${usable[0].iface}; done`,
      }
    },
  },
]
