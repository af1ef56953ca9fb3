// Deterministic mutations of a real JSON file, for the fuzz test of the readers: a seeded PRNG
// picks what to break (truncate, flip a type, delete a key, nest deep, insert control characters,
// add a __proto__ key, replace the whole document), so a failure names its seed and repeats.

/** mulberry32: a small seeded PRNG, enough to pick mutations reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d_2b_79_f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

type Json = null | boolean | number | string | Json[] | {[key: string]: Json}

/** Every container in the document with the path to it, the document first. */
function containers(doc: Json): Array<Json[] | {[key: string]: Json}> {
  const out: Array<Json[] | {[key: string]: Json}> = []
  const stack: Json[] = [doc]
  while (stack.length > 0 && out.length < 100_000) {
    const v = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    out.push(v)
    stack.push(...(Array.isArray(v) ? v : Object.values(v)))
  }
  return out
}

const REPLACEMENTS: Json[] = [null, true, 0, -1, 1e308, 2 ** 53 + 1, 0.5, '', '070', 'x'.repeat(5000), [], {}, [1, 'a'], {id: 7}]
const CONTROL = ['\u001b[2J', '\u001b]0;owned\u0007', '\r', '\u0000', '\u0007', '\u009b31m', '\u202e']

/** One mutation of `text` (a JSON document), and what it did. */
export function mutate(text: string, random: () => number): {text: string; what: string} {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]
  const kind = Math.floor(random() * 8)
  if (kind === 0) {
    const at = Math.floor(random() * text.length)
    return {text: text.slice(0, at), what: `truncated at byte ${at}`}
  }
  if (kind === 1) {
    const depth = pick([100, 10_000, 100_000])
    return {text: `${'['.repeat(depth)}${text}${']'.repeat(depth)}`, what: `nested in ${depth} arrays`}
  }
  if (kind === 2) {
    const whole = pick<Json>([null, [], 42, 'doctor', true, [JSON.parse(text)]])
    return {text: JSON.stringify(whole), what: `replaced by ${JSON.stringify(whole).slice(0, 40)}`}
  }
  const doc = JSON.parse(text) as Json
  const target = pick(containers(doc))
  const keys = Array.isArray(target) ? target.map((_, i) => i) : Object.keys(target)
  if (keys.length === 0) return {text: JSON.stringify(doc), what: 'unchanged (an empty container)'}
  const key = pick<number | string>(keys)
  const set = (value: Json) => ((target as Record<string | number, Json>)[key] = value)
  const value = (target as Record<string | number, Json>)[key]
  if (kind === 3 && !Array.isArray(target)) {
    delete target[key as string]
    return {text: JSON.stringify(doc), what: `deleted key ${key}`}
  }
  if (kind === 4) {
    // Written as text: JSON.stringify itself overflows the stack on such a value
    set('@@DEEP@@')
    return {text: JSON.stringify(doc).replace('"@@DEEP@@"', `${'['.repeat(100_000)}${']'.repeat(100_000)}`), what: `${key} nested 100,000 deep`}
  }
  if (kind === 5 && typeof value === 'string') {
    const c = pick(CONTROL)
    set(`${value}${c}`)
    return {text: JSON.stringify(doc), what: `${key} given ${JSON.stringify(c)}`}
  }
  if (kind === 6 && !Array.isArray(target)) {
    const inserted = `${JSON.stringify(doc).slice(0, -1)}${Object.keys(doc as object).length > 0 ? ',' : ''}"__proto__":{"schema":"x","results":null,"polluted":true}}`
    return {text: typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? inserted : JSON.stringify(doc), what: '__proto__ key at the top'}
  }
  const replacement = pick(REPLACEMENTS)
  set(replacement)
  return {text: JSON.stringify(doc), what: `${key} set to ${JSON.stringify(replacement).slice(0, 30)}`}
}
