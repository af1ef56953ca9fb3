/**
 * The one parser for sysctl integers and integer vectors (`4096`, `4096 131072 6291456`).
 * Every field must be a whole decimal number; an empty value, a word, a fraction or the wrong
 * number of fields is malformed (undefined), never NaN or 0. Callers say what malformed means:
 * doctor's checks skip with "malformed" in the reason, estimate falls back to its defaults.
 */
export function parseSysctlInts(text: string | undefined, count?: number): number[] | undefined {
  if (text === undefined) return undefined
  const fields = text.trim().split(/\s+/)
  if (fields[0] === '' || (count !== undefined && fields.length !== count)) return undefined
  if (!fields.every((f) => /^-?\d+$/.test(f))) return undefined
  const values = fields.map(Number)
  return values.every(Number.isSafeInteger) ? values : undefined
}

/** One integer, or undefined when malformed. */
export function parseSysctlInt(text: string | undefined): number | undefined {
  return parseSysctlInts(text, 1)?.[0]
}

/** Why a value is malformed, for a reason: `net.ipv4.tcp_mem is malformed: "" (expected 3 integers)`. */
export function describeMalformed(key: string, text: string, count = 1): string {
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text
  return `${key} is malformed: "${shown}" (expected ${count === 1 ? 'an integer' : `${count} integers`})`
}
