import {C1mError} from '../errors.js'

/**
 * Names of figures that cannot be memory: negative, NaN or infinite. Empty when all are sane.
 * Pure; the memory model and the estimate renderers refuse what this names.
 */
export function badFigures(figures: Record<string, number>): string[] {
  return Object.entries(figures)
    .filter(([, value]) => !Number.isFinite(value) || value < 0)
    .map(([name, value]) => `${name} ${Number.isFinite(value) ? `${Math.round(value)} B` : String(value)}`)
}

/** Throw one C1mError naming the figures that cannot be memory; `what` says whose figures they are. */
export function refuseBadFigures(figures: Record<string, number>, what: string): void {
  const bad = badFigures(figures)
  if (bad.length === 0) return
  throw new C1mError(
    'E_RUNTIME',
    `${what} has figures that cannot be memory: ${bad.join(', ')}`,
    'check the --calibration report (`c1m probe` again on a quiet host) and the --process-bytes value',
  )
}
