/** What a panel can draw. x and y are in data units (connections, bytes, connections/s). */
export type Point = [number, number]

export interface LineSeries {
  kind: 'line'
  name: string
  color: string
  points: Point[]
  /** Dashed: a fitted line, not a measurement. */
  dashed?: boolean
  /** A dot on every point (measured samples). */
  markers?: boolean
}

/** A band between two lines, for stacked areas. */
export interface AreaSeries {
  kind: 'area'
  name: string
  color: string
  lower: Point[]
  upper: Point[]
}

/** A horizontal (y) or vertical (x) line across the plot at one value, labelled. */
export interface RuleSeries {
  kind: 'hrule' | 'vrule'
  name: string
  color: string
  at: number
  label: string
}

/** Bars from x0 to x1 of height y. */
export interface BarSeries {
  kind: 'bars'
  name: string
  color: string
  bars: Array<{x0: number; x1: number; y: number; label?: string}>
}

export type Series = LineSeries | AreaSeries | RuleSeries | BarSeries
