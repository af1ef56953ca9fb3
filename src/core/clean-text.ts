// The one sanitizer for text c1m did not write: a host file under --root, the kernel log, a report
// from another host (doctor --merge, probe --merge, estimate --calibration). Readers apply it where
// they read, so renderers (the terminal, JUnit, Prometheus, HTML) never see a raw control
// character: no escape sequence reaches a terminal, no NUL or bell an XML file.

/**
 * C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates
 * (text that reads one way and prints another).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
// eslint-disable-next-line no-control-regex
const CONTROL_OR_BREAK = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g

/** What stands for a control character: visible, one column, never part of a sequence. */
export const REPLACEMENT = '?'

/**
 * Text of many lines (a file's content): CRLF becomes LF, every other control character "?";
 * tab and newline stay.
 */
export function cleanText(text: string): string {
  return text.replaceAll('\r\n', '\n').replaceAll(CONTROL, REPLACEMENT)
}

/** A value that is one line (a host name, a file name, a kernel version): every control is "?". */
export function cleanLine(text: string): string {
  return text.replaceAll(CONTROL_OR_BREAK, REPLACEMENT)
}

/** Deeper than any report c1m writes (a doctor report is 6 levels deep, a probe report 7). */
export const MAX_JSON_DEPTH = 64

export type CleanJson = {ok: true; value: unknown} | {ok: false; reason: string}

/**
 * A parsed JSON document, copied with every string cleaned (cleanText) and every key a clean line;
 * a `__proto__` key is dropped (c1m writes none, and assigned it would set the object's prototype).
 * Deeper than maxDepth is refused, not walked: the walk is a loop over a stack, bounded by the
 * document's size, so a hundred thousand nested arrays cannot overflow the call stack anywhere.
 */
export function cleanJson(doc: unknown, maxDepth = MAX_JSON_DEPTH): CleanJson {
  const leaf = (v: unknown) => (typeof v === 'string' ? cleanText(v) : v)
  if (doc === null || typeof doc !== 'object') return {ok: true, value: leaf(doc)}
  const top: unknown = Array.isArray(doc) ? [] : {}
  const stack: Array<{from: object; to: Record<string, unknown> | unknown[]; depth: number}> = [{from: doc, to: top as Record<string, unknown>, depth: 1}]
  while (stack.length > 0) {
    const {from, to, depth} = stack.pop()!
    if (depth > maxDepth) return {ok: false, reason: `nested more than ${maxDepth} levels deep`}
    const put = (key: string | number, v: unknown) => {
      if (v === null || typeof v !== 'object') {
        set(to, key, leaf(v))
        return
      }
      const child = Array.isArray(v) ? [] : {}
      set(to, key, child)
      stack.push({from: v, to: child as Record<string, unknown>, depth: depth + 1})
    }
    if (Array.isArray(from)) {
      for (const [i, v] of from.entries()) put(i, v)
    } else {
      for (const [key, v] of Object.entries(from)) {
        if (key !== '__proto__') put(cleanLine(key), v)
      }
    }
  }
  return {ok: true, value: top}
}

function set(to: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  if (Array.isArray(to)) to.push(value)
  else Object.defineProperty(to, key, {value, enumerable: true, writable: true, configurable: true})
}
