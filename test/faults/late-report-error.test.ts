import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { scratchFolders } from './helpers.js';

/**
 * Fault: a spec of the default kind 'training' trained every run and only then failed with "no
 * report is defined for experiments of kind 'training'". Now a training sweep has a report (each
 * run's curves and final numbers), and a spec whose kind a spec file cannot produce (an
 * analysis kind, or a typo) is refused before the first run trains.
 */
const scratch = scratchFolders('late-report');
const base = { model: 'mlp', modelOptions: { width: 8 }, dataset: 'mnist', trainSubset: 100, testSubset: 50, epochs: 1, batchSize: 50 };

describe('fault: a sweep fails after training, for want of a report', { timeout: 300_000 }, () => {
  it('reports a sweep of kind training, one section per run', () => {
    const top = scratch();
    const file = join(top, 'spec.json');
    writeFileSync(file, JSON.stringify({ name: 'plain-sweep', base, grid: { lr: [0.1, 0.05] } }));
    const r = runCli(['experiment', file, '--store', join(top, 'store'), '--workers', '2', '--threads', '1']);
    expect(r.status, r.stderr).toBe(0);
    const report = join(top, 'store', 'plain-sweep', 'report.html');
    expect(r.stdout.trim()).toBe(report);
    const html = readFileSync(report, 'utf8');
    for (const run of ['lr-0.05_seed-0', 'lr-0.1_seed-0']) expect(html).toContain(`mlp on mnist (${run})`);
  });

  for (const kind of ['lesion', 'trainig']) {
    it(`refuses kind '${kind}' before any run trains`, () => {
      const top = scratch();
      const file = join(top, 'spec.json');
      writeFileSync(file, JSON.stringify({ name: 'probe', kind, base }));
      const r = runCli(['experiment', file, '--store', join(top, 'store')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`spec 'probe': kind '${kind}' is not a training experiment \\(a spec file is of kind 'training' or 'degradation'`));
      expect(existsSync(join(top, 'store')) ? readdirSync(join(top, 'store')) : []).toEqual([]);
    });
  }
});
