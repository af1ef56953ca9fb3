import type {EstimateResult} from './plan-estimate.js'
import {refuseBadFigures} from '../probe/guard-figures.js'

/**
 * The estimate renderers call this first: an estimate with a negative or non-finite figure
 * is refused (C1mError), never drawn as "holds at most 0 connections" or a negative bar.
 */
export function refuseBadEstimate(result: EstimateResult): void {
  const figures: Record<string, number> = {
    total: result.memory.total, 'per connection': result.memory.perConn, 'base and headroom': result.memory.fixed,
    RAM: result.ram.bytes, 'most connections per host': result.maxConnsPerHost, 'kernel bytes per socket': result.kernel.bytesPerSocket,
  }
  for (const t of result.memory.terms) {
    figures[`${t.name} per connection`] = t.perConn
    figures[`${t.name} total`] = t.total
  }
  for (const p of result.chart) figures[`chart total at ${p.conns}`] = p.total
  refuseBadFigures(figures, 'the estimate')
}
