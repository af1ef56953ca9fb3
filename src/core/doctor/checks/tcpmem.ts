import {formatBytes} from '../../units.js'
import {type Check, type CheckContext, Skip, sysctlFix, sysctlNumbers} from '../check.js'
import {formatCount} from '../../units.js'
import {socketsPerConnection} from '../../needs.js'
import {PAGE_SIZE} from '../../estimate/socket-cost.js'
import {tcpMemWanted} from '../../profile/compute.js'

/**
 * Share of connections with data queued at once below which a host is unfit: if even this
 * share, one page each, exceeds tcp_mem's max, ordinary traffic hits "TCP: out of memory".
 */
export const MIN_ACTIVE_SHARE = 0.1

function memTotal(ctx: CheckContext): number {
  const total = ctx.host.memory.meminfo?.MemTotal
  if (!total) throw new Skip('/proc/meminfo was not read')
  return total
}

export const tcpMemChecks: Check[] = [
  {
    id: 'tcpmem.limit',
    area: 'tcpmem',
    title: 'net.ipv4.tcp_mem (pages for all TCP buffers)',
    reads: ['/proc/sys/net/ipv4/tcp_mem'],
    why: 'idle sockets hold no buffer, but each socket with data queued holds at least one page; above the third value TCP drops data and logs "TCP: out of memory"',
    evaluate(ctx) {
      const [, pressure, max] = sysctlNumbers(ctx, 'net.ipv4.tcp_mem', 3)
      const spc = socketsPerConnection(ctx.target.role)
      const allActive = ctx.target.conns * spc
      const breaksAt = Math.floor(max / spc)
      const status = max < allActive * MIN_ACTIVE_SHARE ? 'fail' : max < allActive ? 'warn' : 'pass'
      const total = ctx.host.memory.meminfo?.MemTotal
      return {
        status,
        current: `pressure ${formatCount(pressure)}, max ${formatCount(max)} pages (${formatBytes(max * PAGE_SIZE)})`,
        needed: `max >= ${formatCount(allActive)} pages (${formatBytes(allActive * PAGE_SIZE)}) for one page queued on every socket`,
        breaksAt,
        reason: status === 'pass' ? undefined : `${formatCount(breaksAt)} connections with one page queued each reach the max`,
        // The value apply writes for the same conns and role (compute: tcpMem), so the two agree.
        fix: status === 'pass' ? undefined : sysctlFix('net.ipv4.tcp_mem', (total ? tcpMemWanted(total, ctx.target.conns, ctx.target.role) : [Math.round(allActive / 2), Math.round((allActive * 3) / 4), allActive]).join(' ')),
      }
    },
  },
  {
    id: 'tcpmem.units',
    area: 'tcpmem',
    title: 'tcp_mem holds pages, not bytes',
    reads: ['/proc/sys/net/ipv4/tcp_mem', '/proc/meminfo'],
    why: 'tcp_mem counts 4 KiB pages; a value copied as bytes is 4096 times too large and TCP never feels memory pressure until the machine runs out',
    evaluate(ctx) {
      const values = sysctlNumbers(ctx, 'net.ipv4.tcp_mem', 3)
      const total = memTotal(ctx)
      const tooBig = values.filter((v) => v * PAGE_SIZE > total)
      const ordered = values[0] <= values[1] && values[1] <= values[2]
      const current = values.map((v) => `${formatCount(v)} (${formatBytes(v * PAGE_SIZE)})`).join(', ')
      if (tooBig.length > 0) {
        return {status: 'fail', current, needed: `each below RAM (${formatBytes(total)} = ${formatCount(total / PAGE_SIZE)} pages)`, reason: 'looks like bytes typed into a pages field', fix: 'remove the line from sysctl.conf to get the kernel default, which is sized from RAM'}
      }
      if (!ordered) return {status: 'warn', current, needed: 'min <= pressure <= max', fix: 'order the three values low, pressure, high'}
      return {status: 'pass', current, needed: `each below RAM (${formatBytes(total)})`}
    },
  },
  {
    id: 'tcpmem.buffer-defaults',
    area: 'tcpmem',
    title: 'tcp_rmem / tcp_wmem defaults',
    reads: ['/proc/sys/net/ipv4/tcp_rmem', '/proc/sys/net/ipv4/tcp_wmem'],
    why: 'the middle value is what each socket may buffer before autotuning; large defaults multiply by N the moment traffic flows',
    evaluate(ctx) {
      const rmem = sysctlNumbers(ctx, 'net.ipv4.tcp_rmem', 3)
      const wmem = sysctlNumbers(ctx, 'net.ipv4.tcp_wmem', 3)
      // Kernel defaults: rmem 131072, wmem 16384.
      const big = rmem[1] > 262_144 || wmem[1] > 65_536
      const perConn = (rmem[1] + wmem[1]) * socketsPerConnection(ctx.target.role)
      return {
        status: big ? 'warn' : 'pass',
        current: `rmem ${rmem.join(' ')}; wmem ${wmem.join(' ')}`,
        needed: 'defaults at most 262144 (rmem) and 65536 (wmem)',
        reason: big ? `if every connection filled its default buffers: ${formatBytes(perConn * ctx.target.conns)} at N` : undefined,
        fix: big ? `${sysctlFix('net.ipv4.tcp_rmem', '4096 131072 6291456')} && ${sysctlFix('net.ipv4.tcp_wmem', '4096 16384 4194304')}` : undefined,
      }
    },
  },
  {
    id: 'tcpmem.buffer-max',
    area: 'tcpmem',
    title: 'rmem_max / wmem_max and tcp_rmem / tcp_wmem max',
    reads: ['/proc/sys/net/core/rmem_max', '/proc/sys/net/core/wmem_max', '/proc/sys/net/ipv4/tcp_rmem', '/proc/sys/net/ipv4/tcp_wmem'],
    why: 'a socket can never buffer more than these; below 64 KiB one connection cannot fill a path with any latency',
    evaluate(ctx) {
      const values = {
        'net.core.rmem_max': sysctlNumbers(ctx, 'net.core.rmem_max')[0],
        'net.core.wmem_max': sysctlNumbers(ctx, 'net.core.wmem_max')[0],
        'tcp_rmem max': sysctlNumbers(ctx, 'net.ipv4.tcp_rmem', 3)[2],
        'tcp_wmem max': sysctlNumbers(ctx, 'net.ipv4.tcp_wmem', 3)[2],
      }
      const small = Object.entries(values).filter(([, v]) => v < 65_536)
      return {
        status: small.length > 0 ? 'warn' : 'pass',
        current: Object.entries(values).map(([k, v]) => `${k} ${formatCount(v)}`).join(', '),
        needed: 'each >= 65,536',
        fix: small.length > 0 ? small.map(([k]) => (k.startsWith('net.') ? sysctlFix(k, 212_992) : `raise the third value of ${k.split(' ')[0]}`)).join(' && ') : undefined,
      }
    },
  },
]
