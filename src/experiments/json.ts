/**
 * JSON as experiments store it. `canonicalJson` sorts object keys at every level, so two equal
 * values compare equal as text whatever order their keys were written in (a job read back from a
 * file or from Redis against the job planned now). `finiteJson` writes NaN and ±Infinity, which
 * JSON cannot hold, as null — the schemas of shards and results.json say which fields may be null.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v
  ));
}

export function finiteJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), indent);
}
