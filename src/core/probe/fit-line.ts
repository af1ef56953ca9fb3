import type {LinearFit} from './fit-report.js'

export interface Point {
  x: number
  y: number
}

/** Least-squares line y = baseBytes + bytesPerConn x, with its coefficient of determination. */
export function fitLine(points: Point[]): LinearFit {
  if (points.length < 2) throw new Error(`a line needs at least two points, got ${points.length}`)
  const n = points.length
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n
  let sxx = 0
  let sxy = 0
  let syy = 0
  for (const {x, y} of points) {
    sxx += (x - meanX) ** 2
    sxy += (x - meanX) * (y - meanY)
    syy += (y - meanY) ** 2
  }
  if (sxx === 0) throw new Error('a line needs at least two different x values')
  const slope = sxy / sxx
  const base = meanY - slope * meanX
  const residual = points.reduce((sum, p) => sum + (p.y - (base + slope * p.x)) ** 2, 0)
  // A flat, noiseless series is explained perfectly by its line.
  const r2 = syy === 0 ? 1 : Math.max(0, 1 - residual / syy)
  return {baseBytes: base, bytesPerConn: slope, r2}
}
