import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scratchFolders } from './helpers.js';

/**
 * Fault: a broken native build still gave a green CI — build-native.mjs exits 0 on a failed
 * compile (users must still get a working install), native.test.ts skipped itself, and the
 * backend-parametrised files silently dropped the missing backend. Now, under CI=true, a
 * missing addon or wasm module fails the suite; without CI the same checkout still passes.
 */
const scratch = scratchFolders('build');
const root = fileURLToPath(new URL('../..', import.meta.url));

/** A checkout of the sources and two test files with neither build/ (the addon) nor the wasm modules. */
function checkoutWithoutBuilds(): string {
  const dir = scratch();
  cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
  for (const name of ['kernels.wasm', 'kernels-threads.wasm']) rmSync(join(dir, 'src', 'backend', 'wasm', name), { force: true });
  for (const file of ['package.json', 'tsconfig.json', 'vitest.config.ts']) cpSync(join(root, file), join(dir, file));
  mkdirSync(join(dir, 'test', 'backend'), { recursive: true });
  mkdirSync(join(dir, 'test', 'autograd'), { recursive: true });
  cpSync(join(root, 'test', 'helpers'), join(dir, 'test', 'helpers'), { recursive: true });
  cpSync(join(root, 'test', 'backend', 'native.test.ts'), join(dir, 'test', 'backend', 'native.test.ts'));
  cpSync(join(root, 'test', 'autograd', 'add-relu.test.ts'), join(dir, 'test', 'autograd', 'add-relu.test.ts'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function vitest(dir: string, env: Record<string, string | undefined>): { status: number | null; output: string } {
  const bin = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const r = spawnSync(process.execPath, [bin, 'run', 'test/backend/native.test.ts', 'test/autograd/add-relu.test.ts'], {
    cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000,
  });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('fault: a broken native build gives a green CI', { timeout: 300_000 }, () => {
  it('fails under CI=true when the addon and the wasm module are missing, and passes without CI', () => {
    const dir = checkoutWithoutBuilds();
    const ci = vitest(dir, { CI: 'true' });
    expect(ci.status, ci.output).toBe(1);
    expect(ci.output).toMatch(/CI=true but the native backend is unavailable \(build\/Release\/skiplab_native\.node was not built\)/);
    expect(ci.output).toMatch(/CI=true but the native backend is unavailable \(.*\) and the wasm backend is unavailable \(.*kernels\.wasm.*\)/);
    const user = vitest(dir, { CI: undefined });
    expect(user.status, user.output).toBe(0);
  });
});
