import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { degradationSpec } from '../../src/experiments/degradation.js';
import { degradationResults } from '../../src/experiments/degradation-results.js';
import { runLocalSweep, type SweepEvent } from '../../src/experiments/local-executor.js';
import { expandSpec, parseExperimentSpec } from '../../src/experiments/spec.js';
import { ExperimentStore } from '../../src/experiments/store.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'skiplab-sweep-'));
  dirs.push(d);
  return d;
};

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

  it('name the wrong field of a spec by its path', () => {
    expect(() => parseExperimentSpec({ name: 'Bad Name', base: {} })).toThrow(/name: use lower-case/);
    expect(() => parseExperimentSpec({ name: 'x', base: { epochs: -2 } })).toThrow(/base\.epochs: /);
    expect(() => expandSpec(parseExperimentSpec({ name: 'x', base: { model: 'mlp', epochs: 1 } }))).toThrow(/run seed-0: dataset: /);
    expect(() => degradationSpec({ mode: 'quick', depths: [10] })).toThrow(/depth 10 is not of the form 6n \+ 2/);
  });
});

describe('local sweep', () => {
  it('trains every run in worker processes, then skips them when run again', async () => {
    const spec = parseExperimentSpec({
      name: 'tiny', base: { model: 'mlp', modelOptions: { width: 16 }, dataset: 'mnist', trainSubset: 300, testSubset: 100, epochs: 1, batchSize: 50 },
      grid: { lr: [0.1, 0.05] }, seeds: [0, 1],
    });
    const store = new ExperimentStore(scratch(), spec);
    const events: SweepEvent[] = [];
    const first = await runLocalSweep(store, { workers: 2, onEvent: (e) => events.push(e) });
    expect(first.failed).toEqual([]);
    expect(first.completed.sort()).toEqual(store.runs().map((r) => r.id).sort());
    expect(events.filter((e) => e.kind === 'epoch')).toHaveLength(4);
    for (const run of store.runs()) expect(store.runDirectory(run).isComplete()).toBe(true);
    const again = await runLocalSweep(store, { workers: 2 });
    expect(again.completed).toEqual([]);
    expect(again.skipped).toHaveLength(4);
    // The same seed and config give the same numbers in a fresh store.
    const other = new ExperimentStore(scratch(), spec);
    await runLocalSweep(other, { workers: 1 });
    const finals = (s: ExperimentStore): unknown[] => s.runs().map((r) => s.runDirectory(r).readSummary()!.final);
    expect(finals(other)).toEqual(finals(store));
  });

  it('reports a failing run with its error instead of crashing the sweep', async () => {
    const spec = parseExperimentSpec({ name: 'broken', base: { model: 'no_such_model', dataset: 'mnist', epochs: 1 } });
    const result = await runLocalSweep(new ExperimentStore(scratch(), spec), { workers: 1 });
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.error).toMatch(/unknown model 'no_such_model'/);
  });

  it('collects degradation results and computes the conclusion from the numbers', async () => {
    const spec = degradationSpec({ mode: 'quick', depths: [8, 14], trainSubset: 256, epochs: 1 });
    const store = new ExperimentStore(scratch(), { ...spec, base: { ...spec.base, batchSize: 128, testSubset: 200, logEverySteps: 1, evalEverySteps: 1 } });
    const result = await runLocalSweep(store, { workers: 2 });
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
    const [plain8, plain14, residual14] = [stored(8, false), stored(14, false), stored(14, true)];
    const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
    expect(results.plainDegrades).toBe(plain14 > plain8);
    expect(results.residualFixes).toBe(residual14 < plain14);
    expect(results.conclusions[0]).toContain(`plain-14 ends at ${pct(plain14)} training error vs plain-8 at ${pct(plain8)}: `);
    expect(results.conclusions[0]).toMatch(plain14 > plain8 ? /the deeper plain net trains worse \(degradation\)\.$/ : /no degradation at this budget\.$/);
  });
});
