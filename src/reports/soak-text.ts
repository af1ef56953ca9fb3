import type {HoldResult} from '../core/probe/run-report.js'
import {describeGrowth} from '../core/probe/soak.js'
import {formatBytes, formatCount} from '../core/units.js'

/** Minutes or hours, as a soak's span is said. */
function span(seconds: number): string {
  return seconds >= 5400 ? `${(seconds / 3600).toFixed(1)} h` : seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`
}

/** A soak's lines: the server's and the kernel's growth per connection per hour, and the drops. */
export function soakLines(soak: HoldResult['soak']): string[] {
  if (!soak) return []
  const figure = soak.figure
  if (!figure) return [`soak: ${soak.readings.length} reading(s), too few to fit`]
  const window = `${span(figure.to - figure.from)} after a ${span(figure.from)} warm-up, ${figure.readings} readings every ${soak.everyMs / 1000} s`
  const level = (g: typeof figure.server) => `${formatBytes(g.startBytesPerConn)} -> ${formatBytes(g.endBytesPerConn)} per connection`
  return [
    `soak (${window}): server ${figure.verdict}; ${level(figure.server)}`,
    `soak, kernel (slab + TCP buffers, whole host): ${describeGrowth(figure.kernel, figure.messagesPerSecond)}; ${level(figure.kernel)}`,
    `soak, connections: ${formatCount(figure.heldFirst)} held at the start, ${formatCount(figure.heldLast)} at the end`,
  ]
}
