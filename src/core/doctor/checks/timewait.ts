import {atLeast, type Check, Skip, sysctlFix, sysctlNumber} from '../check.js'

export const timeWaitChecks: Check[] = [
  {
    id: 'timewait.buckets',
    area: 'timewait',
    title: 'net.ipv4.tcp_max_tw_buckets',
    reads: ['/proc/sys/net/ipv4/tcp_max_tw_buckets'],
    why: 'after a mass close every connection may sit in TIME_WAIT on the side that closed; past the limit the kernel drops them early and logs "time wait bucket table overflow"',
    evaluate: (ctx) => atLeast(ctx, 'net.ipv4.tcp_max_tw_buckets', ctx.needs.twBuckets),
  },
  {
    id: 'timewait.reuse',
    area: 'timewait',
    title: 'net.ipv4.tcp_tw_reuse (clients)',
    reads: ['/proc/sys/net/ipv4/tcp_tw_reuse'],
    why: 'a client that reconnects reuses ports still in TIME_WAIT only with tw_reuse; without it reconnects fail with EADDRNOTAVAIL for 60 s',
    evaluate(ctx) {
      if (ctx.target.role === 'server') throw new Skip('only the connecting side uses tcp_tw_reuse')
      const value = sysctlNumber(ctx, 'net.ipv4.tcp_tw_reuse')
      // 2, the kernel default, enables it for loopback connections only.
      const ok = value === 1 || (value === 2 && ctx.target.role === 'loopback')
      return {
        status: ok ? 'pass' : 'warn',
        current: String(value),
        needed: ctx.target.role === 'loopback' ? '1 or 2' : '1',
        reason: value === 2 && !ok ? '2 reuses TIME_WAIT ports for loopback connections only' : undefined,
        fix: ok ? undefined : sysctlFix('net.ipv4.tcp_tw_reuse', 1),
      }
    },
  },
  {
    id: 'timewait.netdev-backlog',
    area: 'timewait',
    title: 'net.core.netdev_max_backlog',
    reads: ['/proc/sys/net/core/netdev_max_backlog'],
    why: 'packets wait here between the NIC and TCP; a burst of N reconnects overruns a short queue and packets are dropped before TCP sees them',
    evaluate: (ctx) => atLeast(ctx, 'net.core.netdev_max_backlog', ctx.needs.netdevBacklog),
  },
]
