import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { degradationClaims } from '../../src/report/claims/degradation.js';
import { degradationSpec } from '../../src/experiments/degradation.js';
import { degradationResults } from '../../src/experiments/degradation-results.js';
import type { JobEvent } from '../../src/experiments/jobs.js';
import { localExecutor } from '../../src/experiments/local-executor.js';
import { prepareTraining } from '../../src/experiments/plan.js';
import { expandSpec, parseExperimentSpec, type ExperimentSpec } from '../../src/experiments/spec.js';
import { ExperimentStore } from '../../src/experiments/store.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiplab-sweep-'));
  dirs.push(d);
  return d;
};

/** Train every run of a spec with the local pool into a fresh (or given) store. */
async function sweep(spec: ExperimentSpec, workers: number, root = scratch(), onEvent?: (e: JobEvent) => void) {
  const result = await localExecutor({ workers }).run(root, prepareTraining(root, spec), onEvent);
  return { result, store: new ExperimentStore(root, spec), root };
}
const ids = (spec: ExperimentSpec) => expandSpec(spec).map((r) => `${spec.name}/${r.id}`).sort();

describe('experiment specs', () => {
  it('expand a grid × seeds into runs with stable ids and full configs', () => {
    const spec = parseExperimentSpec({
      name: 'grid', base: { model: 'mlp', dataset: 'mnist', epochs: 1 },
      grid: { 'modelOptions.width': [8, 16], lr: [0.1, 0.01] }, seeds: [0, 1],
    });
    const runs = expandSpec(spec);
    expect(runs).toHaveLength(8);
    expect(runs[0]!.id).toBe('lr-0.1_width-8_seed-0');
    expect(runs.find((r) => r.id === 'lr-0.01_width-16_seed-1')!.config).toMatchObject({ lr: 0.01, seed: 1, modelOptions: { width: 16 }, batchSize: 128 });
  });

  it('cross named variants with the grid: each variant changes several fields at once', () => {
    const spec = parseExperimentSpec({
      name: 'variants', base: { model: 'mlp', dataset: 'mnist', epochs: 1, modelOptions: { width: 8 } },
      variants: { small: { lr: 0.1 }, wide: { lr: 0.01, modelOptions: { width: 64 } } }, grid: { batchSize: [32, 64] }, seeds: [3],
    });
    const runs = expandSpec(spec);
    expect(runs.map((r) => r.id)).toEqual(['small_batchSize-32_seed-3', 'small_batchSize-64_seed-3', 'wide_batchSize-32_seed-3', 'wide_batchSize-64_seed-3']);
    expect(runs[0]!.config).toMatchObject({ lr: 0.1, modelOptions: { width: 8 }, batchSize: 32, seed: 3 });
    expect(runs[3]!.config).toMatchObject({ lr: 0.01, modelOptions: { width: 64 }, batchSize: 64 });
    expect(runs[3]!.point).toEqual({ variant: 'wide', batchSize: 64 });
  });

  it('keep the base recipe where a variant is silent (a variant is a change, not a config with defaults)', () => {
    const spec = parseExperimentSpec({
      name: 'recipe', base: { model: 'mlp', dataset: 'mnist', epochs: 1, batchSize: 64, weightDecay: 5e-4, schedule: 'constant' },
      variants: { other: { model: 'simple_convnet' } },
    });
    expect(expandSpec(spec)[0]!.config).toMatchObject({ model: 'simple_convnet', batchSize: 64, weightDecay: 5e-4, schedule: 'constant' });
  });

  it('name the wrong field of a spec by its path, and keep run ids inside the store', () => {
    expect(() => parseExperimentSpec({ name: 'Bad Name', base: {} })).toThrow(/name: use lower-case/);
    expect(() => parseExperimentSpec({ name: 'x', base: { epochs: -2 } })).toThrow(/base\.epochs: /);
    expect(() => expandSpec(parseExperimentSpec({ name: 'x', base: { model: 'mlp', epochs: 1 } }))).toThrow(/run seed-0: dataset: /);
    expect(() => expandSpec(parseExperimentSpec({ name: 'x', base: { model: 'mlp', dataset: 'mnist', epochs: 1 }, grid: { dataDir: ['../../etc'] } }))).toThrow(/run id 'dataDir-\.\.\/\.\.\/etc_seed-0' is not a plain folder name/);
    expect(() => degradationSpec({ mode: 'quick', depths: [10] })).toThrow(/depth 10 is not of the form 6n \+ 2/);
  });
});

describe('local executor', () => {
  const tiny = parseExperimentSpec({
    name: 'tiny', base: { model: 'mlp', modelOptions: { width: 16 }, dataset: 'mnist', trainSubset: 300, testSubset: 100, epochs: 1, batchSize: 50 },
    grid: { lr: [0.1, 0.05] }, seeds: [0, 1],
  });

  it('trains every run in worker processes, then skips them when run again', async () => {
    const events: JobEvent[] = [];
    const { result: first, store, root } = await sweep(tiny, 2, scratch(), (e) => events.push(e));
    expect(first.failed).toEqual([]);
    expect(first.completed.sort()).toEqual(ids(tiny));
    expect(events.filter((e) => e.kind === 'epoch')).toHaveLength(4);
    for (const run of store.runs()) expect(store.runDirectory(run).isComplete()).toBe(true);
    const { result: again } = await sweep(tiny, 2, root);
    expect(again.completed).toEqual([]);
    expect(again.skipped).toHaveLength(4);
    // The same seed and config give the same numbers in a fresh store, one process or two.
    const { store: other } = await sweep(tiny, 1);
    const finals = (s: ExperimentStore): unknown[] => s.runs().map((r) => s.runDirectory(r).readSummary()!.final);
    expect(finals(other)).toEqual(finals(store));
  });

  it('reports a failing run with its error instead of crashing the sweep', async () => {
    const spec = parseExperimentSpec({ name: 'broken', base: { model: 'no_such_model', dataset: 'mnist', epochs: 1 } });
    const { result } = await sweep(spec, 1);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.error).toMatch(/unknown model 'no_such_model'/);
  });

  it('collects degradation results and computes the conclusion from the numbers', async () => {
    const spec = degradationSpec({ mode: 'quick', depths: [8, 14], trainSubset: 256, epochs: 1, seeds: [0] });
    const { result, store } = await sweep({ ...spec, base: { ...spec.base, batchSize: 128, testSubset: 200, logEverySteps: 1, evalEverySteps: 1 } }, 2);
    expect(result.failed).toEqual([]);
    const results = degradationResults(store);
    expect(results.runs.map((r) => [r.depth, r.residual])).toEqual([[8, false], [14, false], [8, true], [14, true]]);
    for (const r of results.runs) {
      expect(r.complete).toBe(true);
      expect(r.curve.length).toBe(2);
      expect(r.finalTrainError).toBeGreaterThan(0);
      expect(r.parameters).toBeGreaterThan(0);
    }
    // The verdicts must follow from the stored numbers: read each run's last epoch line back from its metrics.jsonl.
    const stored = (depth: number, residual: boolean): number => {
      const run = results.runs.find((r) => r.depth === depth && r.residual === residual)!;
      const epochs = store.runDirectory(run.id).readMetrics().filter((m) => m.kind === 'epoch');
      return Number(epochs[epochs.length - 1]!.trainError);
    };
    const [plain8, plain14, residual8, residual14] = [stored(8, false), stored(14, false), stored(8, true), stored(14, true)];
    const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
    expect(results.tier).toBe('quick');
    expect(results.budget).toBe('1 epoch on 256 fashion-mnist training images, batch 128, lr 0.1 ÷ 10 at 50 % and 75 % of the steps, linear warm-up over 0.25 epochs');
    const [check] = degradationClaims(results);
    expect(check!.verdict.evidence).toBe(`plain-14 ${pct(plain14)} vs plain-8 ${pct(plain8)} (1 seed, no interval); ResNet-14 ${pct(residual14)} vs ResNet-8 ${pct(residual8)} (1 seed, no interval)`);
    // One seed decides nothing, whatever the numbers.
    expect(check!.verdict.outcome).toBe('inconclusive');
    expect(check!.verdict.seeds).toBe(1);
  });
});
