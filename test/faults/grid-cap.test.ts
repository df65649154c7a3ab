import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobIdOf } from '../../src/experiments/jobs.js';
import { localExecutor } from '../../src/experiments/local-executor.js';
import { prepareTraining } from '../../src/experiments/plan.js';
import { DEFAULT_MAX_RUNS, expandSpec, parseExperimentSpec } from '../../src/experiments/spec.js';
import { runCli } from '../helpers/cli.js';
import { scratchFolders } from './helpers.js';

/**
 * Fault: a grid of 10^6 combinations started creating a million run folders. Now a spec that
 * expands into more runs than its `maxRuns` (default 1000) is refused before anything is
 * written, naming the count and the field that allows it; and a run's folder is made when that
 * run starts, not for every run up front.
 */
const scratch = scratchFolders('grid-cap');
const base = { model: 'mlp', modelOptions: { width: 8 }, dataset: 'mnist', trainSubset: 100, testSubset: 50, epochs: 1, batchSize: 50 };
const values = (n: number, from: number) => Array.from({ length: n }, (_, i) => from + i);

describe('fault: a grid of a million runs', { timeout: 300_000 }, () => {
  it('is refused by the CLI before anything is written, naming the count and maxRuns', () => {
    const top = scratch();
    const file = join(top, 'spec.json');
    writeFileSync(file, JSON.stringify({ name: 'huge', base, grid: { batchSize: values(100, 1), trainSubset: values(100, 1), 'modelOptions.width': values(100, 1) } }));
    const r = runCli(['experiment', file, '--store', join(top, 'store'), '--no-report']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/spec 'huge': 1000000 runs \(variants × grid points × seeds\) is more than maxRuns 1000; shrink the grid, or set "maxRuns": 1000000 in the spec/);
    expect(existsSync(join(top, 'store', 'huge'))).toBe(false);
  });

  it('counts variants and seeds, and lets maxRuns raise or lower the limit', () => {
    expect(DEFAULT_MAX_RUNS).toBe(1000);
    const spec = (maxRuns?: number) => parseExperimentSpec({ name: 'cap', base, variants: { a: {}, b: { lr: 0.05 } }, grid: { lr: [0.1, 0.2, 0.3] }, seeds: [0, 1], ...(maxRuns ? { maxRuns } : {}) });
    expect(expandSpec(spec())).toHaveLength(12);
    expect(expandSpec(spec(12))).toHaveLength(12);
    expect(() => expandSpec(spec(11))).toThrow(/12 runs .* is more than maxRuns 11/);
    const big = parseExperimentSpec({ name: 'big', base, grid: { 'modelOptions.width': values(1001, 1) }, maxRuns: 1001 });
    expect(expandSpec(big)).toHaveLength(1001);
  });

  it('makes each run folder when its run starts', async () => {
    const root = scratch();
    const spec = parseExperimentSpec({ name: 'lazy', base, seeds: [0, 1, 2] });
    const jobs = prepareTraining(root, spec);
    expect(readdirSync(join(root, 'lazy'))).toEqual(['experiment.json']);
    const seenAtStart: string[][] = [];
    const result = await localExecutor({ workers: 1, threads: 1 }).run(root, jobs, (e) => {
      if (e.kind === 'start') seenAtStart.push(readdirSync(join(root, 'lazy')).filter((f) => f !== 'experiment.json').sort());
    });
    expect(result.failed).toEqual([]);
    expect(result.completed).toEqual(jobs.map(jobIdOf));
    // One job at a time: when each starts, only the runs before it have folders.
    expect(seenAtStart).toEqual([[], ['seed-0'], ['seed-0', 'seed-1']]);
  });
});
