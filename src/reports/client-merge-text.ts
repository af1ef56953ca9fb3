import type {MergedClients} from '../core/probe/merge-clients.js'
import {formatCount} from '../core/units.js'
import {printable} from './escape.js'

/** probe --merge as text: one line per client host, then the whole run. */
export function renderMergedClients(m: MergedClients): string {
  const lines = m.hosts.map((h) => {
    const shard = h.shard ? ` shard ${h.shard.index}/${h.shard.count}` : ''
    const echo = h.echo ? `, ${formatCount(h.echo.echoed)} echoed` : ''
    return `  ${printable(h.name)}${shard}: ${formatCount(h.established)} of ${formatCount(h.conns)} opened in ${h.openSeconds} s${echo}${h.stopped ? ` (stopped: ${printable(h.stopped)})` : ''}`
  })
  const echo = m.echo ? `, ${formatCount(m.echo.echoed)} of ${formatCount(m.echo.sent)} echoed` : ''
  const missing = m.missingShards.length > 0 ? `; no result for shard${m.missingShards.length > 1 ? 's' : ''} ${m.missingShards.join(', ')}` : ''
  return [
    `c1m probe --merge: ${m.hosts.length} client host${m.hosts.length > 1 ? 's' : ''}`,
    ...lines,
    `${formatCount(m.established)} of ${formatCount(m.conns)} connections opened in ${m.openSeconds} s (${formatCount(m.connectsPerSecond)}/s, the slowest host's time)${echo}${missing}`,
    m.complete ? 'complete: every host opened and echoed its share' : 'not complete: see the hosts above',
  ].join('\n')
}
