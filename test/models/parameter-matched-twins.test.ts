import { describe, expect, it } from 'vitest';
import { structureOnlyRng } from '../../src/models/catalog.js';
import { nearestWidth, parameterMatchedTwin } from '../../src/models/parameter-matching.js';
import { createModel, type ModelOptions } from '../../src/models/registry.js';

const count = (name: string, options: ModelOptions = {}) => createModel(name, { ...options, rng: structureOnlyRng() }).parameterCount();

describe('nearestWidth', () => {
  it('finds the width whose count is nearest, from below or above the start, a tie going to the narrower', () => {
    const square = (w: number) => w * w;
    expect([1, 10, 64, 1000].map((from) => nearestWidth(square, 2000, from))).toEqual([45, 45, 45, 45]); // 2025 is 25 off, 1936 is 64
    expect(nearestWidth(square, 1, 8)).toBe(1);
    expect(nearestWidth((w) => 10 * w, 15, 4)).toBe(1); // 10 and 20 are both 5 off
  });

  it('per layer, 50 highway blocks match 71 plain units — Srivastava et al. 2015 §4.1\'s numbers (5,100 vs 5,112 parameters)', () => {
    expect(nearestWidth((w) => w * w + w, 2 * (50 * 50 + 50), 50)).toBe(71);
  });
});

describe('parameterMatchedTwin: the plain twin widened to its model\'s parameter count', () => {
  it('highway_fc: over the whole net the 784-input first layer pulls the match below 71 — 66 at depth 20, 69 at 50, 70 at 100', () => {
    expect([10, 20, 50, 100].map((depth) => parameterMatchedTwin('highway_fc', { depth, width: 50 })!.value)).toEqual([63, 66, 69, 70]);
    const twin = parameterMatchedTwin('highway_fc', { depth: 20, width: 50 })!;
    expect(twin).toEqual({ option: 'width', from: 50, value: 66, modelParameters: 136_660, parameters: 136_498 });
    expect(count('highway_fc', { depth: 20, width: 66, skip: 'none' })).toBe(136_498);
    // Nearest: one unit either way is further off.
    for (const other of [65, 67]) expect(Math.abs(count('highway_fc', { depth: 20, width: other, skip: 'none' }) - 136_660)).toBeGreaterThan(136_660 - 136_498);
  });

  it('DenseNet-BC-100 (769k against a plain twin of 298k) and the U-Net (whose twin\'s decoder reads no skip) get a wider twin within a few % of their count', () => {
    expect(count('densenet_bc_100', { skip: 'none' }) / count('densenet_bc_100')).toBeLessThan(0.5);
    for (const [name, options] of [['densenet_bc_100', {}], ['unet', { baseWidth: 16 }], ['highway_conv', {}]] as const) {
      const twin = parameterMatchedTwin(name, options)!;
      expect(twin.value, name).toBeGreaterThan(twin.from);
      expect(Math.abs(twin.parameters / twin.modelParameters - 1), name).toBeLessThan(0.05);
      expect(twin.parameters).toBe(count(name, { ...options, skip: 'none', ...({ [twin.option]: twin.value } as ModelOptions) }));
    }
  });

  it('is null where the skips add no parameters (option A ResNets, transformers) or the model has no width option', () => {
    expect(parameterMatchedTwin('resnet20')).toBeNull();
    expect(parameterMatchedTwin('transformer_classifier')).toBeNull();
    expect(parameterMatchedTwin('resnet18')).toBeNull(); // the projections are missing from the twin, but there is no width to widen
  });
});
