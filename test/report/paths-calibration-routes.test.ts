import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gradientByPathLength } from '../../src/analysis/paths.js';
import { resnetCifar } from '../../src/models/resnet-cifar.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, tensor } from '../../src/tensor/tensor.js';

/**
 * The same weights and images in both frameworks (test/fixtures/paths-calibration/routes.json,
 * written by routes.py with paths_standard.py's routing): the gradient reaching the first block's
 * input through the two paths that need no sampling — every shortcut (k = 0) and every branch
 * (k = n) — must agree, so PyTorch's junction (add, then ReLU, the other part detached) is skiplab's.
 */
interface Stored { shape: number[]; values: number[] }
const path = fileURLToPath(new URL('../fixtures/paths-calibration/routes.json', import.meta.url));
const fixture = JSON.parse(readFileSync(path, 'utf8')) as { depth: number; width: number; blocks: number; gradientNorm: Record<string, number>; labels: number[]; images: Stored; stateDict: Record<string, Stored> };

describe('skiplab routes the backward pass through the paths PyTorch does', () => {
  it('gives PyTorch\'s gradient norm through every shortcut and through every branch of the same net', () => {
    const model = resnetCifar({ depth: fixture.depth, baseWidth: fixture.width, inChannels: 1, numClasses: 10, rng: new Rng(0) });
    model.loadStateDict(Object.fromEntries(Object.entries(fixture.stateDict).map(([key, t]) => [key, tensor(t.values, t.shape)])), { source: path });
    const batch = { x: tensor(fixture.images.values, fixture.images.shape), y: intTensor(fixture.labels) };
    const ours = gradientByPathLength(model, batch, { rng: new Rng(0), samplesPerLength: 1, lengths: [0, fixture.blocks] });
    expect(ours.blocks).toBe(fixture.blocks);
    const [shortcuts, branches] = ours.gradientByLength.map((g) => g.gradientNorm!);
    expect(shortcuts! / fixture.gradientNorm['0']!).toBeCloseTo(1, 5);
    expect(branches! / fixture.gradientNorm[String(fixture.blocks)]!).toBeCloseTo(1, 5);
    // The two paths differ, so agreeing on both is not one number matched twice.
    expect(Math.abs(shortcuts! / branches! - 1)).toBeGreaterThan(0.1);
  });
});
