import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analysisPlan, type AnalysisSettings } from '../../src/experiments/analysis/index.js';
import { jobIdOf, measureJobSchema, weightsRefSchema, type JobEvent } from '../../src/experiments/jobs.js';
import { localExecutor } from '../../src/experiments/local-executor.js';
import { runExperiments } from '../../src/experiments/plan.js';
import { landscapeResultsSchema } from '../../src/experiments/results/landscape.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiplab-pipeline-'));
  dirs.push(d);
  return d;
};

const tiny: AnalysisSettings = {
  mode: 'quick', dataset: 'fashion-mnist', seeds: [0], epochs: 1, trainSubset: 96,
  sizes: { depth: 8, width: 4, grid: 5, line: 3, images: 32, hessianIterations: 2 },
};

describe('jobs', () => {
  it('are named by their place in the store, which they cannot leave', () => {
    const config = { model: 'mlp', dataset: 'mnist', epochs: 1 };
    expect(jobIdOf({ kind: 'train', data: { experiment: 'e', run: 'r', config } as never })).toBe('e/r');
    expect(jobIdOf({ kind: 'measure', data: { experiment: 'e', step: 'landscape-row', shard: 'seed-0_row-1', sources: {}, params: {} } })).toBe('e/landscape-row/seed-0_row-1');
    const sha256 = 'a'.repeat(64);
    expect(weightsRefSchema.safeParse({ store: 'twins/skip-none_seed-0/weights/epoch-4.safetensors', sha256 }).success).toBe(true);
    for (const store of ['../outside/w.safetensors', 'twins/../../w.safetensors', '/etc/w.safetensors', 'w.safetensors']) {
      expect(weightsRefSchema.safeParse({ store, sha256 }).success, store).toBe(false);
    }
    expect(measureJobSchema.safeParse({ experiment: 'e', step: '../x', shard: 's', sources: {}, params: {} }).success).toBe(false);
  });
});

describe('an analysis experiment on the local executor', () => {
  it('resumes an interrupted landscape from its finished rows: only missing or unreadable shards are computed again, to the same numbers', async () => {
    const root = scratch();
    const events: JobEvent[] = [];
    const [first] = await runExperiments([analysisPlan('landscape', tiny)], localExecutor({ workers: 2, threads: 1 }), root, { onEvent: (e) => events.push(e) });
    expect(first!.error).toBeUndefined();
    const done = events.filter((e) => e.kind === 'done').map((e) => e.job);
    // Two twins trained, then per twin 5 rows, the 1-D line and the Hessian, each a job.
    expect(done.filter((j) => j.includes('/skip-'))).toHaveLength(2);
    expect(done.filter((j) => j.startsWith('landscape-quick/landscape-row/'))).toHaveLength(10);
    expect(done.filter((j) => j.startsWith('landscape-quick/'))).toHaveLength(14);
    const resultsPath = join(first!.dir, 'results.json');
    const before = landscapeResultsSchema.parse(JSON.parse(readFileSync(resultsPath, 'utf8')));

    // As if killed mid-surface: two rows never written, one torn mid-write, no results.json.
    const rows = join(first!.dir, 'shards', 'landscape-row');
    expect(readdirSync(rows)).toHaveLength(10);
    rmSync(join(rows, 'seed-0_residual_row-1.json'));
    rmSync(join(rows, 'seed-0_plain_row-4.json'));
    writeFileSync(join(rows, 'seed-0_plain_row-0.json'), '{"job": {"experiment": "landsc');
    rmSync(resultsPath);
    events.length = 0;
    const [again] = await runExperiments([analysisPlan('landscape', tiny)], localExecutor({ workers: 2, threads: 1 }), root, { onEvent: (e) => events.push(e) });
    expect(again!.error).toBeUndefined();
    expect(events.filter((e) => e.kind === 'done').map((e) => e.job).sort()).toEqual([
      'landscape-quick/landscape-row/seed-0_plain_row-0', 'landscape-quick/landscape-row/seed-0_plain_row-4', 'landscape-quick/landscape-row/seed-0_residual_row-1',
    ]);
    expect(events.filter((e) => e.kind === 'skipped')).toHaveLength(2 + 14 - 3);
    const after = landscapeResultsSchema.parse(JSON.parse(readFileSync(resultsPath, 'utf8')));
    expect(after.seeds).toEqual(before.seeds);
    expect(after.sources).toEqual(before.sources);
  }, 300_000);
});
