import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The install script must never fail `npm ci` (issue 5): with a broken compiler it prints one
 * line and exits 0, and the toolkit runs on another backend. Run in a scratch copy of the
 * package so the real build/ is never touched.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'skiplab-native-build-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('scripts/build-native.mjs', () => {
  it('exits 0 with the one-line notice when the C++ compiler fails (CXX=/bin/false)', () => {
    cpSync(join(root, 'scripts', 'build-native.mjs'), join(scratch, 'scripts', 'build-native.mjs'));
    cpSync(join(root, 'native'), join(scratch, 'native'), { recursive: true, filter: (src) => !src.includes(`${join('native', 'build')}`) });
    symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
    const result = spawnSync(process.execPath, [join(scratch, 'scripts', 'build-native.mjs')], {
      cwd: scratch,
      env: { ...process.env, CXX: '/bin/false', CC: '/bin/false' },
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^skiplab: native backend unavailable \(.+\) — using the WebAssembly backend$/);
    expect(existsSync(join(scratch, 'build', 'Release', 'skiplab_native.node'))).toBe(false);
  });
});
