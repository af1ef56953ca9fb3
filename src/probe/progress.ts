/**
 * Progress of long work goes to stderr, in human and --json mode alike: stdout holds
 * only the result.
 */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`)
}
