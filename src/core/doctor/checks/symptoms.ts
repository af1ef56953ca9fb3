import {type Check, type CheckContext, Skip} from '../check.js'

/** Kernel messages that mean a connection limit was hit, what each means, and where to look. */
export const SYMPTOMS = [
  {id: 'symptoms.tcp-oom', pattern: /TCP: out of memory/, title: '"TCP: out of memory"', why: 'tcp_mem max was reached: TCP dropped data and reset sockets', see: 'tcpmem.limit'},
  {id: 'symptoms.socket-memory', pattern: /Out of socket memory/, title: '"Out of socket memory"', why: 'tcp_mem or the orphan limit was reached', see: 'tcpmem.limit'},
  {id: 'symptoms.conntrack-full', pattern: /nf_conntrack: (nf_conntrack: )?table full/, title: '"nf_conntrack: table full"', why: 'the conntrack table was full: new connections were dropped', see: 'conntrack.max'},
  {id: 'symptoms.orphans', pattern: /too many orphaned sockets/, title: '"too many orphaned sockets"', why: 'closed sockets still holding data exceeded tcp_max_orphans', see: 'net.ipv4.tcp_max_orphans (raise it)'},
  {id: 'symptoms.syn-flood', pattern: /[Pp]ossible SYN flooding/, title: '"possible SYN flooding"', why: 'a listen queue overflowed and syncookies were sent (or SYNs dropped)', see: 'accept.somaxconn'},
  {id: 'symptoms.tw-overflow', pattern: /time wait bucket table overflow/, title: '"time wait bucket table overflow"', why: 'tcp_max_tw_buckets was reached and TIME_WAIT sockets were dropped', see: 'timewait.buckets'},
] as const

function when(ctx: CheckContext, uptime: number): string {
  const boot = ctx.host.kernelLog.bootTime
  return boot === undefined ? `${Math.round(uptime)} s after boot` : new Date((boot + uptime) * 1000).toISOString()
}

export const symptomChecks: Check[] = SYMPTOMS.map((s) => ({
  id: s.id,
  area: 'symptoms',
  title: s.title,
  reads: ['/dev/kmsg'],
  why: s.why,
  evaluate(ctx) {
    const log = ctx.host.kernelLog
    if (!log.readable) throw new Skip(`kernel log not readable (${log.reason}); run as root`)
    const hits = log.lines.filter((l) => s.pattern.test(l.message))
    if (hits.length === 0) return {status: 'pass', current: 'not seen since boot', needed: 'none'}
    return {status: 'warn', current: `${hits.length} time${hits.length > 1 ? 's' : ''}, last ${when(ctx, hits.at(-1)!.uptime)}`, needed: 'none', reason: `"${hits.at(-1)!.message.trim()}"; see ${s.see}`}
  },
}))
