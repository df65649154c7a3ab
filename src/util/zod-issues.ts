import type { z } from 'zod';

/**
 * Zod issues as one line, `path.to.field: message; …` (`(root)` for the value itself), so every
 * validation error names the field that is wrong.
 *
 * @example describeIssues(schema.safeParse(raw).error!.issues) // "epochs: Too small: expected number to be >0"
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`).join('; ');
}
