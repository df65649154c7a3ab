import { describe, expect, it } from 'vitest';
import { tierOf } from '../../src/cli/commands/experiment-plans.js';
import { degradationSpec, QUICK_TRAIN_SUBSET } from '../../src/experiments/degradation.js';
import { STANDARD_EPOCHS, STANDARD_WIDTH } from '../../src/experiments/standard-tier.js';
import { expandSpec } from '../../src/experiments/spec.js';

describe('degradation tiers', () => {
  it('quick: 2 seeds of the standard tier\'s plain and ResNet nets at depths 8/20/44 on a subset, ÷10 drops after a warm-up', () => {
    const spec = degradationSpec({ mode: 'quick' });
    const runs = expandSpec(spec);
    expect(runs).toHaveLength(12);
    expect(new Set(runs.map((r) => r.config.seed))).toEqual(new Set([0, 1]));
    expect(new Set(runs.map((r) => r.config.modelOptions.depth))).toEqual(new Set([8, 20, 44]));
    for (const run of runs) {
      expect(run.config).toMatchObject({ trainSubset: QUICK_TRAIN_SUBSET, epochs: 4, schedule: 'step', batchSize: 64, warmupEpochs: 0.25 });
      expect(run.config.modelOptions.baseWidth).toBe(STANDARD_WIDTH);
    }
  });

  it('full: the paper\'s width of 16', () => {
    for (const run of expandSpec(degradationSpec({ mode: 'full' }))) expect(run.config.modelOptions.baseWidth).toBeUndefined();
  });

  it('standard: the full official training set, ÷10 drops, depths 20 and 56, 3 seeds', () => {
    const spec = degradationSpec({ mode: 'standard' });
    expect(spec.name).toBe('degradation-standard');
    const runs = expandSpec(spec);
    expect(runs.map((r) => [r.config.modelOptions.depth, r.config.modelOptions.skip, r.config.seed]).sort()).toEqual(
      [20, 56].flatMap((depth) => ['identity', 'none'].flatMap((skip) => [0, 1, 2].map((seed) => [depth, skip, seed]))).sort());
    for (const run of runs) {
      expect(run.config).toMatchObject({ dataset: 'fashion-mnist', epochs: STANDARD_EPOCHS, schedule: 'step', lr: 0.1, batchSize: 128, warmupEpochs: 0 });
      expect(run.config.modelOptions.baseWidth).toBe(STANDARD_WIDTH);
      expect(run.config.trainSubset).toBeUndefined();
      expect(run.config.testSubset).toBeUndefined();
    }
  });

  it('one tier flag at a time', () => {
    expect(tierOf({})).toBe('quick');
    expect(tierOf({ standard: true })).toBe('standard');
    expect(() => tierOf({ standard: true, full: true })).toThrow(/give one tier, not --standard and --full/);
  });
});
