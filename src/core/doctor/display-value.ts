const UNIT: Record<string, number> = {B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4}

/**
 * The number behind a check's display string, for machines: "2,466,170" is 2466170, ">= 16,384"
 * is 16384, "1.50 GiB" is bytes, and a trailing remark in parentheses is ignored ("65,536 (1,200
 * tracked now)" is 65536). Anything else (several numbers, words, "soft 1024, hard 4096") is null:
 * a pipeline reading currentValue/neededValue never gets a number that means something else.
 */
export function parseDisplayValue(text: string | undefined): number | null {
  if (text === undefined) return null
  const match = /^(?:>=\s*)?(-?[\d,]*\.?\d+)(?:\s*(B|KiB|MiB|GiB|TiB))?(?:\s*\([^()]*\))?$/.exec(text.trim())
  if (!match) return null
  const digits = match[1].replaceAll(',', '')
  if (match[1].includes(',') && !/^-?\d{1,3}(,\d{3})*(\.\d+)?$/.test(match[1])) return null
  const value = Number(digits) * (match[2] ? UNIT[match[2]] : 1)
  return Number.isFinite(value) ? value : null
}
