/**
 * Progress of long work goes to stderr, in human and --json mode alike: stdout holds
 * only the result. On a terminal the ramp shows as a bar redrawn in place; otherwise
 * (a pipe, a log file, CI) every step is a plain line.
 */

const BAR_WIDTH = 30
let barShown = false

function clearBar(): void {
  if (barShown) process.stderr.write('\r\u001B[K')
  barShown = false
}

export function progress(line: string): void {
  clearBar()
  process.stderr.write(`${line}\n`)
}

/** The bar for `done` of `total` steps, then the text: `[######------] 5/10 text`. */
export function renderBar(done: number, total: number, text: string, width = BAR_WIDTH): string {
  const filled = Math.round((Math.min(done, total) / total) * width)
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${text}`
}

/**
 * A step of a ramp: on a terminal, redraw the bar (cut to the terminal's width); otherwise
 * print the line "step DONE/TOTAL: text" when a step is done, and nothing while it runs.
 */
export function progressStep(done: number, total: number, text: string, finished: boolean): void {
  if (!process.stderr.isTTY) {
    if (finished) progress(`step ${done}/${total}: ${text}`)
    return
  }
  const columns = process.stderr.columns || 80
  process.stderr.write(`\r\u001B[K${renderBar(done, total, text).slice(0, columns - 1)}`)
  barShown = true
  if (finished && done === total) clearBar()
}
