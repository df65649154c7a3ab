import { describe, expect, it } from 'vitest';
import * as checks from '../../web/src/preset-checks.js';
import { presets } from '../../web/src/presets.js';
import type { RunResults } from '../../web/src/run-results.js';
import type { Outcome } from '../../web/src/verdict.js';

/** A deterministic wiggle, so synthetic samples have a spread without a random generator. */
const wiggle = (i: number, amplitude: number): number => amplitude * Math.sin(1.7 * i + 0.3);
const results = (extra: Partial<RunResults> = {}): RunResults => ({ trainLosses: [], testAccuracy: 0.9, testLoss: 0.3, ...extra });
const losses = (level: number, noise = 0.05): number[] => Array.from({ length: 150 }, (_, i) => level + wiggle(i, noise));

describe('preset checks', () => {
  it('training loss: lower, equal, and too close to call', () => {
    const at = (better: number, worse: number, noise = 0.05): Outcome =>
      checks.lowerTrainingLoss('claim', results({ trainLosses: losses(better, noise) }), results({ trainLosses: losses(worse, noise) }), 'a', 'b').outcome;
    expect(at(0.3, 1.2)).toBe('supported');
    expect(at(0.5, 0.5)).toBe('contradicted');
    expect(at(1.2, 0.3)).toBe('contradicted');
    // A difference of the claimed size drowned in noise that is not shared by the two runs.
    const noisy = checks.lowerTrainingLoss('claim', results({ trainLosses: losses(0.4, 0.05) }), results({ trainLosses: Array.from({ length: 150 }, (_, i) => 0.52 + 2 * Math.cos(3.1 * i)) }), 'a', 'b');
    expect(noisy.outcome).toBe('inconclusive');
    const c = checks.lowerTrainingLoss('claim', results({ trainLosses: losses(0.3) }), results({ trainLosses: losses(1.2) }), 'ResNet-56', 'plain-56');
    expect(c.measured).toContain('last 100 batches');
    expect(c.measured).toMatch(/ResNet-56 0\.30\d/);
    expect(c.effect.n).toBe(100);
  });

  it('gradient flow: a decade flatter, or not', () => {
    const ratios = (level: number) => Array.from({ length: 50 }, (_, i) => level + wiggle(i, 0.2));
    const flat = results({ gradientLogRatios: ratios(0) });
    const vanishing = results({ gradientLogRatios: ratios(-6) });
    expect(checks.flatterGradients('c', flat, vanishing, 'skip', 'plain').outcome).toBe('supported');
    expect(checks.flatterGradients('c', flat, results({ gradientLogRatios: ratios(-0.2) }), 'skip', 'plain').outcome).toBe('contradicted');
    expect(() => checks.flatterGradients('c', flat, results(), 'skip', 'plain')).toThrow(/no gradient ratios/);
  });

  it('lesion: share of above-chance accuracy kept, paired by block', () => {
    const blocks = ['layer1.1', 'layer1.2', 'layer2.1', 'layer2.2', 'layer3.1'];
    const sweep = (baseline: number, accuracies: number[]) => results({ lesion: { baselineAccuracy: baseline, blocks, accuracies } });
    const robust = sweep(0.9, [0.85, 0.8, 0.88, 0.86, 0.84]);
    const fragile = sweep(0.8, [0.12, 0.2, 0.15, 0.11, 0.3]);
    const c = checks.lesionRobustness(robust, fragile);
    expect(c.outcome).toBe('supported');
    // Kept share: residual (0.75 − 0.1)/0.8 on average…
    expect(c.effect.estimate).toBeCloseTo((0.75 + 0.7 + 0.78 + 0.76 + 0.74) / 5 / 0.8 - (0.02 + 0.1 + 0.05 + 0.01 + 0.2) / 5 / 0.7, 10);
    expect(checks.lesionRobustness(fragile, robust).outcome).toBe('contradicted');
    expect(checks.lesionRobustness(robust, sweep(0.9, [0.84, 0.81, 0.87, 0.86, 0.85])).outcome).toBe('contradicted');
    expect(() => checks.lesionRobustness(robust, results())).toThrow(/no lesion/);
  });

  it('slice roughness counts every fall on the way out from the minimum', () => {
    const alphas = [-1, -0.5, 0, 0.5, 1];
    expect(checks.sliceRoughness(alphas, [9, 3, 1, 2, 8])).toBe(0);
    // Right side falls from 4 to 2 (0.301 decades); left side's 0.8 below the centre falls from 1 (0.097).
    expect(checks.sliceRoughness(alphas, [5, 0.8, 1, 4, 2])).toBeCloseTo(Math.log10(2) + Math.log10(1 / 0.8), 12);
  });

  it('slice non-convexity is the share of the curvature that bends downwards', () => {
    const alphas = [-1, -0.5, 0, 0.5, 1];
    expect(checks.sliceNonConvexity(alphas, [9, 3, 1, 2, 8])).toBe(0);
    expect(checks.sliceNonConvexity(alphas, [1, 3, 4, 3, 1])).toBe(1);
    // Second differences 4.4, 2.8 and −5: 5 of 12.2 bends downwards.
    expect(checks.sliceNonConvexity(alphas, [5, 0.8, 1, 4, 2])).toBeCloseTo(5 / 12.2, 12);
    expect(checks.sliceNonConvexity(alphas, [2, 2, 2, 2, 2])).toBe(0);
    expect(() => checks.sliceNonConvexity([0, 1], [1, 2])).toThrow(/3 or more/);
  });

  it('landscape: plain rougher than residual, or not', () => {
    const alphas = [-1, -0.5, 0, 0.5, 1];
    const slices = (bumps: number[]) => results({ landscape: { alphas, losses: bumps.map((b) => [9, 3, 1, 4, 4 / 10 ** b]) } });
    const smooth = results({ landscape: { alphas, losses: [[9, 3, 1, 2, 8], [7, 2, 1, 3, 6], [8, 4, 1, 2, 9]] } });
    expect(checks.smootherSlices(smooth, slices([0.2, 0.3, 0.25]), 56).outcome).toBe('supported');
    expect(checks.smootherSlices(smooth, smooth, 56).outcome).toBe('contradicted');
    expect(checks.smootherSlices(slices([0.2, 0.3, 0.25]), smooth, 110).outcome).toBe('contradicted');
  });

  it('landscape: nets shallower than Li et al.\'s depth 56 decide nothing, whatever the slices', () => {
    const alphas = [-1, -0.5, 0, 0.5, 1];
    const smooth = results({ landscape: { alphas, losses: [[9, 3, 1, 2, 8], [7, 2, 1, 3, 6], [8, 4, 1, 2, 9]] } });
    const rough = results({ landscape: { alphas, losses: [0.2, 0.3, 0.25].map((b) => [9, 3, 1, 4, 4 / 10 ** b]) } });
    for (const [residual, plain] of [[smooth, rough], [rough, smooth]] as const) {
      const c = checks.smootherSlices(residual, plain, 20);
      expect(c.outcome).toBe('inconclusive');
      expect(c.undecided).toMatch(/from depth 56 on, so nets of depth 20 cannot show it/);
      // The numbers are still shown.
      expect(c.measured).toMatch(/^Roughness of each slice .* Not decided: /);
    }
  });

  it('feature reuse: cutting the long connections costs accuracy, or not', () => {
    const images = 200;
    const correct = Array.from({ length: images }, (_, i) => (i % 10 === 0 ? 0 : 1));
    const cut = (lost: number) => correct.map((c, i) => (i % lost === 1 ? 0 : c));
    const run = (correctCut: number[]) => results({ featureReuse: { maps: [], correct, correctCut, initialCutChange: 0.01 } });
    expect(checks.featureReuse(run(cut(3))).outcome).toBe('supported');
    expect(checks.featureReuse(run(correct)).outcome).toBe('contradicted');
    expect(checks.featureReuse(run(cut(3))).measured).toContain('at initialisation: 1.0 points');
  });

  it('highway gates: moved from their start, or not', () => {
    const initial = { layers: ['a', 'b', 'c', 'd'], meanGate: [0.12, 0.12, 0.12, 0.12], spread: [0, 0, 0, 0] };
    const gates = (meanGate: number[]) => results({ gates: { initial, trained: { ...initial, meanGate } } });
    expect(checks.gatesLearned(gates([0.05, 0.2, 0.08, 0.18])).outcome).toBe('supported');
    expect(checks.gatesLearned(gates([0.121, 0.119, 0.12, 0.122])).outcome).toBe('contradicted');
  });

  it('segmentation: overlap and boundary accuracy, paired by canvas', () => {
    const per = (level: number) => Array.from({ length: 60 }, (_, i) => Math.min(1, level + wiggle(i, 0.03)));
    const good = results({ segmentation: { iou: per(0.95), boundaryAccuracy: per(0.96) } });
    const poor = results({ segmentation: { iou: per(0.8), boundaryAccuracy: per(0.86) } });
    expect(checks.segmentation(good, poor).map((c) => c.outcome)).toEqual(['supported', 'supported']);
    expect(checks.segmentation(poor, good).map((c) => c.outcome)).toEqual(['contradicted', 'contradicted']);
  });

  it('every preset states its claim, its paper and what to expect, and judges its runs', () => {
    const list = presets(3);
    expect(list.map((p) => p.id)).toEqual(['degradation', 'vanishing-gradients', 'lesion', 'landscape', 'feature-reuse', 'highway', 'unet']);
    for (const p of list) {
      expect(p.claim.length).toBeGreaterThan(40);
      expect(p.finding).toMatch(/(19|20)\d\d/);
      expect(p.expect.length).toBeGreaterThan(40);
      expect(p.runs.every((r) => r.settings.seed === 3 && r.settings.maxSteps > 0)).toBe(true);
    }
  });
});
