import { describe, expect, it } from 'vitest';
import { analysisPlan } from '../../src/experiments/analysis/index.js';
import type { AnalysisSettings } from '../../src/experiments/analysis/settings.js';
import { expandSpec } from '../../src/experiments/spec.js';
import { structureOnlyRng } from '../../src/models/catalog.js';
import { createModel } from '../../src/models/registry.js';

const settings = (mode: 'quick' | 'full'): AnalysisSettings => ({ mode, dataset: 'fashion-mnist', seeds: [0, 1] });
const runsOf = (name: 'highway-gates' | 'feature-reuse', mode: 'quick' | 'full') => analysisPlan(name, settings(mode)).training.flatMap(({ spec }) => expandSpec(spec));
const parameters = (config: { model: string; modelOptions: Record<string, unknown> }) => createModel(config.model, { ...config.modelOptions, rng: structureOnlyRng() }).parameterCount();

describe('highway-gates trains the plain twin at the width that matches the highway net\'s parameters', () => {
  for (const [mode, depth, plainWidth] of [['quick', 20, 66], ['full', 50, 69]] as const) {
    it(`${mode}: highway-${depth} at width 50, plain-${depth} at width ${plainWidth}, within 1 % of each other's count, the recipe otherwise the same`, () => {
      const runs = runsOf('highway-gates', mode);
      expect(runs.map((r) => r.id)).toEqual(['skip-gated_seed-0', 'skip-gated_seed-1', 'skip-none_seed-0', 'skip-none_seed-1']);
      const [highway, plain] = [runs[0]!.config, runs[2]!.config];
      expect(highway.modelOptions).toEqual({ depth, width: 50, skip: 'gated' });
      expect(plain.modelOptions).toEqual({ depth, width: plainWidth, skip: 'none' });
      const { modelOptions: _h, seed: _hs, ...highwayRecipe } = highway;
      const { modelOptions: _p, seed: _ps, ...plainRecipe } = plain;
      expect(plainRecipe).toEqual(highwayRecipe);
      expect(Math.abs(parameters(plain) / parameters(highway) - 1)).toBeLessThan(0.01);
    });
  }
});

describe('feature-reuse measures the DenseNet of Huang et al. Fig. 5 (no bottleneck, θ = 1)', () => {
  it('full: L = 40, k = 12, about 1.0M parameters (Table 2); quick: L = 19, k = 6', () => {
    const dense = (mode: 'quick' | 'full') => runsOf('feature-reuse', mode).filter((r) => r.config.model === 'densenet_cifar');
    expect(dense('full').map((r) => r.config.modelOptions)).toEqual([0, 1].map(() => ({ depth: 40, growthRate: 12, bottleneck: false, compression: 1, initFeatures: 16 })));
    expect(Math.abs(parameters(dense('full')[0]!.config) - 1.0e6)).toBeLessThan(0.05e6);
    expect(dense('quick')[0]!.config.modelOptions).toEqual({ depth: 19, growthRate: 6, bottleneck: false, compression: 1, initFeatures: 16 });
  });
});
