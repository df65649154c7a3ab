import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `npm run docs` builds the API reference with TypeDoc (typedoc.json): every export of the
 * package root — functions, classes, interfaces, type aliases, variables, namespaces — must have
 * a doc comment, and a broken `{@link}` is an error too (validation warnings are errors there).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the API reference', () => {
  it('builds with no undocumented public export', () => {
    const result = spawnSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--emit', 'none'], { cwd: root, encoding: 'utf8', timeout: 590_000 });
    const output = `${result.stdout}${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
    expect(output.split('\n').filter((line) => /warning|error/.test(line) && !/Found 0 errors and 0 warnings/.test(line))).toEqual([]);
    expect(result.status).toBe(0);
  }, 600_000);
});
