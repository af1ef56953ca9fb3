import {atLeast, type Check, fmt, Skip, sysctlFix, sysctlNumber} from '../check.js'

/** Below this an accept queue overflows on any burst of reconnects, whatever N is. */
const BACKLOG_FLOOR = 1024

export const acceptChecks: Check[] = [
  {
    id: 'accept.somaxconn',
    area: 'accept',
    title: 'net.core.somaxconn (accept queue cap)',
    reads: ['/proc/sys/net/core/somaxconn'],
    why: 'caps every listen() backlog; when clients reconnect in a burst a short queue drops SYNs and they retry after 1 s, 3 s, 7 s',
    evaluate: (ctx) => atLeast(ctx, 'net.core.somaxconn', ctx.needs.somaxconn, 'warn', BACKLOG_FLOOR),
  },
  {
    id: 'accept.syn-backlog',
    area: 'accept',
    title: 'net.ipv4.tcp_max_syn_backlog (half-open queue)',
    reads: ['/proc/sys/net/ipv4/tcp_max_syn_backlog'],
    why: 'connections that sent SYN but not yet the final ACK wait here; when it is full new SYNs are dropped or answered with cookies',
    evaluate: (ctx) => atLeast(ctx, 'net.ipv4.tcp_max_syn_backlog', ctx.needs.synBacklog, 'warn', BACKLOG_FLOOR),
  },
  {
    id: 'accept.syncookies',
    area: 'accept',
    title: 'net.ipv4.tcp_syncookies',
    reads: ['/proc/sys/net/ipv4/tcp_syncookies'],
    why: 'with cookies on (1), a full SYN queue still accepts connections instead of dropping them; 2 sends cookies always and loses TCP options',
    evaluate(ctx) {
      const value = sysctlNumber(ctx, 'net.ipv4.tcp_syncookies')
      if (value === 1) return {status: 'pass', current: '1', needed: '1'}
      return {
        status: 'warn',
        current: String(value),
        needed: '1',
        reason: value === 0 ? 'a reconnect storm beyond the SYN queue is dropped' : 'cookies for every connection lose window scaling and SACK',
        fix: sysctlFix('net.ipv4.tcp_syncookies', 1),
      }
    },
  },
  {
    id: 'accept.listen-backlog',
    area: 'accept',
    title: 'backlog the listening sockets got (--pid)',
    reads: ['/proc/PID/fd', '/proc/net/tcp', '/proc/net/tcp6', 'ss -ltnHe'],
    why: 'the queue a listener really has is min(its listen() backlog, somaxconn at the time it called listen()); raising somaxconn later does not grow it',
    evaluate(ctx) {
      const l = ctx.host.listeners
      if (!l) throw new Skip('pass --pid PID to audit a running server')
      if (l.listeners.length === 0) throw new Skip(l.problem ?? `process ${l.pid} has no listening TCP socket`)
      const known = l.listeners.filter((x) => x.backlog !== undefined)
      if (known.length === 0) throw new Skip(l.problem ?? 'the backlog of its listeners could not be read')
      const need = ctx.needs.somaxconn
      const low = known.filter((x) => x.backlog! < need)
      return {
        status: low.length === 0 ? 'pass' : 'warn',
        current: known.map((x) => `${x.local} ${fmt(x.backlog!)}`).join(', '),
        needed: `>= ${fmt(need)}`,
        reason: low.length === 0 ? undefined : 'restart the server after raising somaxconn, and pass a large backlog to listen()',
        fix: low.length === 0 ? undefined : `${sysctlFix('net.core.somaxconn', need)}; then restart process ${l.pid} with listen(fd, ${need})`,
      }
    },
  },
]
