import { describe, expect, it } from 'vitest';
import { DEPTH_110_WARMUP, degradationSpec } from '../../src/experiments/degradation.js';
import { expandSpec, parseExperimentSpec } from '../../src/experiments/spec.js';
import { parseTrainConfig, trainConfigSchema } from '../../src/train/config.js';
import { learningRateSchedule } from '../../src/train/schedules.js';

/** Rates to 6 significant digits (0.1 · 0.1 is not 0.01 in binary). */
const rates = (schedule: (step: number) => number, steps: number[]) => steps.map((s) => +schedule(s).toPrecision(6));

describe('a constant warm-up before the schedule (He et al. 2015 §4.2)', () => {
  it('trains at 0.01 for steps 0–399, at 0.1 from step 400, and keeps the ÷10 drops at 50 % and 75 % of the steps', () => {
    // 160 epochs of 391 batches = 62,560 steps: drops at 31,280 and 46,920.
    const config = trainConfigSchema.parse({ model: 'resnet110', dataset: 'cifar10', epochs: 160, lr: 0.1, schedule: 'step', constantWarmup: { lr: 0.01, steps: 400 } });
    const schedule = learningRateSchedule(config, 391);
    expect(rates(schedule, [0, 399, 400, 31_279, 31_280, 46_920])).toEqual([0.01, 0.01, 0.1, 0.1, 0.01, 0.001]);
    const without = learningRateSchedule({ ...config, constantWarmup: undefined }, 391);
    expect(rates(without, [0, 399, 400])).toEqual([0.1, 0.1, 0.1]);
  });

  it('is validated: a positive rate, a whole positive number of steps, and not together with the linear warm-up', () => {
    const base = { model: 'mlp', dataset: 'mnist', epochs: 1 };
    expect(() => parseTrainConfig({ ...base, constantWarmup: { lr: 0, steps: 400 } })).toThrow(/constantWarmup\.lr/);
    expect(() => parseTrainConfig({ ...base, constantWarmup: { lr: 0.01, steps: 2.5 } })).toThrow(/constantWarmup\.steps/);
    expect(() => parseTrainConfig({ ...base, constantWarmup: { lr: 0.01, steps: 400, after: 3 } })).toThrow(/constantWarmup/);
    expect(() => parseTrainConfig({ ...base, warmupEpochs: 1, constantWarmup: { lr: 0.01, steps: 400 } })).toThrow(/two warm-ups; give one/);
    expect(() => learningRateSchedule(trainConfigSchema.parse({ ...base, warmupEpochs: 1, constantWarmup: { lr: 0.01, steps: 4 } }), 10)).toThrow(/two warm-ups/);
  });
});

describe('the full degradation tier', () => {
  it('gives the 110-layer nets (plain and residual) the warm-up and every other depth none', () => {
    const runs = expandSpec(degradationSpec({ mode: 'full', dataDir: '/data/cifar-10-batches-bin' }));
    const warm = runs.filter((r) => r.config.constantWarmup);
    expect(warm.map((r) => r.id).sort()).toEqual(['identity', 'none'].flatMap((skip) => [0, 1, 2].map((seed) => `depth-110_skip-${skip}_seed-${seed}`)).sort());
    for (const run of warm) expect(run.config).toMatchObject({ constantWarmup: DEPTH_110_WARMUP, lr: 0.1, schedule: 'step', warmupEpochs: 0, batchSize: 128, weightDecay: 1e-4 });
    const depth56 = runs.filter((r) => r.config.modelOptions.depth === 56);
    expect(depth56).toHaveLength(6);
    for (const run of depth56) expect(run.config.constantWarmup).toBeUndefined();
    expect(DEPTH_110_WARMUP).toEqual({ lr: 0.01, steps: 400 });
  });

  it('other tiers, and a full tier without depth 110, have no override', () => {
    expect(degradationSpec({ mode: 'quick' }).overrides).toBeUndefined();
    expect(degradationSpec({ mode: 'full', depths: [20, 56], dataDir: '/data' }).overrides).toBeUndefined();
  });
});

describe('spec overrides', () => {
  const spec = (overrides: unknown) => parseExperimentSpec({ name: 's', base: { model: 'mlp', dataset: 'mnist', epochs: 1, batchSize: 32 }, grid: { 'modelOptions.width': [4, 8] }, overrides });

  it('change only the matching grid points, keep their ids, and leave every other field as it was', () => {
    const runs = expandSpec(spec([{ where: { 'modelOptions.width': 8 }, set: { lr: 0.01, modelOptions: { imageSize: 14 } } }]));
    expect(runs.map((r) => [r.id, r.config.lr, r.config.batchSize, r.config.modelOptions])).toEqual([
      ['width-4_seed-0', 0.1, 32, { width: 4 }],
      ['width-8_seed-0', 0.01, 32, { width: 8, imageSize: 14 }],
    ]);
  });

  it('refuse a key the grid does not vary and a point the grid does not have', () => {
    expect(() => expandSpec(spec([{ where: { 'modelOptions.depth': 8 }, set: { lr: 0.01 } }]))).toThrow(/overrides\[0\] names modelOptions\.depth, which the grid does not vary/);
    expect(() => expandSpec(spec([{ where: { 'modelOptions.width': 16 }, set: { lr: 0.01 } }]))).toThrow(/overrides\[0\] .* matches no grid point/);
  });
});
