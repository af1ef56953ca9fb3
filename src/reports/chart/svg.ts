/** A coordinate with one decimal: enough for a 720-pixel chart, and short. */
export function px(value: number): string {
  return (Math.round(value * 10) / 10).toString()
}
