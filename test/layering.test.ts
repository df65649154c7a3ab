import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Cruise {
  modules: { source: string }[];
  summary: { violations: { rule: { name: string }; from: string; to: string }[] };
}

it('keeps the layering of DESIGN.md over src/ and the browser lab: no upward imports, no cycles, kernels never see Tensor, web/ reaches nothing Node-only', () => {
  const bin = fileURLToPath(new URL('../node_modules/dependency-cruiser/bin/dependency-cruise.mjs', import.meta.url));
  const r = spawnSync(process.execPath, [bin, 'src', 'web/src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const cruise = JSON.parse(r.stdout) as Cruise;
  expect(cruise.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  expect(r.status, r.stderr).toBe(0);
  // Both trees were cruised: the lab's worker and the library down to its bottom layer.
  const modules = cruise.modules.map((m) => m.source);
  expect(modules).toContain('web/src/worker.ts');
  expect(modules).toContain('src/util/errors.ts');
});
