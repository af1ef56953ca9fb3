import {atLeast, type Check, optionalSysctlNumber, Skip, sysctlFix, sysctlNumber} from '../check.js'
import {formatCount} from '../../units.js'

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
      const server = ctx.host.server
      if (!server) throw new Skip('pass --pid PID to audit a running server')
      if (server.listeners.length === 0) throw new Skip(server.problems[0] ?? `process ${server.pid} and its descendants have no listening TCP socket`)
      const known = server.listeners.filter((x) => x.backlog !== undefined)
      if (known.length === 0) throw new Skip(server.problems[0] ?? 'the backlog of its listeners could not be read')
      const need = ctx.needs.somaxconn
      const low = known.filter((x) => x.backlog! < need)
      const base = {current: known.map((x) => `${x.local} ${formatCount(x.backlog!)}`).join(', '), needed: `>= ${formatCount(need)}`}
      if (low.length === 0) return {status: 'pass', ...base}
      const somaxconn = optionalSysctlNumber(ctx, 'net.core.somaxconn')
      const named = low.map((x) => `${x.local} (backlog ${formatCount(x.backlog!)})`).join(', ')
      const name = server.processes.find((p) => p.pid === server.pid)?.comm ?? server.processes[0]?.comm
      const who = `process ${server.pid}${name ? ` (${name})` : ''}`
      if (somaxconn !== undefined && somaxconn >= need) {
        // somaxconn is not what caps it: the application asked listen() for less, or listened
        // before somaxconn was raised
        return {
          status: 'warn',
          ...base,
          reason: `somaxconn is already ${formatCount(somaxconn)}: the server asked listen() for less on ${named}, or listened before somaxconn was raised`,
          fix: `raise the listen backlog in the server's config to ${need} (Redis: tcp-backlog ${need}; nginx: listen ... backlog=${need}; Node: server.listen({backlog: ${need}})), then restart ${who}`,
        }
      }
      return {
        status: 'warn',
        ...base,
        reason: `somaxconn caps ${named}: raise it, then restart the server with a large backlog`,
        fix: `${sysctlFix('net.core.somaxconn', need)}; then restart ${who} with listen(fd, ${need})`,
      }
    },
  },
]
