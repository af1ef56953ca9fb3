/** The schema name of a command's JSON result: c1m.doctor/1, c1m.profiles-show/1. */
export function schemaFor(commandId: string): string {
  return `c1m.${commandId.replaceAll(/[ :]/g, '-')}/1`
}

/**
 * Name what a JSON document is and which c1m wrote it: `schema` and `version` first, then the
 * result. A result that already names its schema (a probe report, c1m.probe/1) keeps it. Lists
 * are wrapped as {schema, version, items}, so every result is an object a reader can check.
 */
export function stampResult(result: unknown, schema: string, version: string): Record<string, unknown> {
  if (Array.isArray(result)) return {schema, version, items: result}
  if (result === null || typeof result !== 'object') return {schema, version, value: result}
  const own = result as Record<string, unknown>
  return {schema: typeof own.schema === 'string' ? own.schema : schema, version, ...own}
}
