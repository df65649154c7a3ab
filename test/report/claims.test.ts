import { describe, expect, it } from 'vitest';
import { pathLengthDistribution } from '../../src/analysis/paths.js';
import type { VerdictOutcome } from '../../src/analysis/verdict.js';
import { degradationClaims } from '../../src/report/claims/degradation.js';
import { ANALYSIS_CLAIMS, claimSentence, type AnalysisResultsOf } from '../../src/report/claims/index.js';

/**
 * Every claim check on small synthetic results, one case per outcome: three seeds whose numbers
 * are clearly separated one way (supported), the other way (contradicted), or spread so the
 * intervals overlap (inconclusive).
 */
const header = (experiment: string) => ({ version: 1, experiment, mode: 'quick', dataset: 'fashion-mnist', budget: '4 epochs on 2,048 fashion-mnist training images, batch 64', seconds: 1, writtenAt: '2026-01-01T00:00:00Z', sources: [] });
const results = <K extends keyof AnalysisResultsOf>(experiment: K, seeds: object[]) => ({ ...header(experiment), seeds: seeds.map((s, seed) => ({ seed, ...s })) }) as unknown as AnalysisResultsOf[K];
const outcomes = <K extends keyof AnalysisResultsOf>(experiment: K, r: AnalysisResultsOf[K]): VerdictOutcome[] => ANALYSIS_CLAIMS[experiment](r).map((c) => c.verdict.outcome);
/** Three seeds' values, zipped into one object per seed by `build`. */
const zip = (build: (...v: number[]) => object, ...series: number[][]) => series[0]!.map((_, i) => build(...series.map((s) => s[i]!)));

const low = [0.01, 0.015, 0.02];
const high = [0.4, 0.41, 0.42];
const spread = [0.0, 0.2, 0.4];

describe('lesion claims', () => {
  const model = (family: string, increase: number) => ({ family, parameters: 1000, baseline: 0.1, single: [{ block: 'layer1.0', index: 0, error: 0.1 + increase }, { block: 'layer1.1', index: 1, error: 0.1 + increase }], random: [], candidates: ['layer1.0', 'layer1.1'], excluded: ['layer2.0'] });
  const lesion = (residual: number[], plain: number[]) => results('lesion', zip((r, p) => ({ depth: 20, testImages: 256, models: [model('residual', r), model('plain', p)] }), residual, plain));
  it('single deletions barely matter: supported, contradicted (as in our quick runs), inconclusive', () => {
    expect(outcomes('lesion', lesion([0.001, 0.002, 0.003], high))[0]).toBe('supported');
    expect(outcomes('lesion', lesion(high, high))[0]).toBe('contradicted');
    expect(outcomes('lesion', lesion([0, 0.03, 0.06], high))[0]).toBe('inconclusive');
  });
  it('the plain twin suffers more: supported, contradicted, inconclusive, with parameter counts', () => {
    expect(outcomes('lesion', lesion(low, high))[1]).toBe('supported');
    expect(outcomes('lesion', lesion(low, low))[1]).toBe('contradicted');
    expect(outcomes('lesion', lesion(low, spread))[1]).toBe('inconclusive');
    const [first] = ANALYSIS_CLAIMS.lesion(lesion(high, high));
    expect(claimSentence(first!)).toMatch(/^Contradicted \(3 seeds; quick: 4 epochs on 2,048 .*\): deleting a single block barely changes ResNet-20's test error \(increase at most 2 points; 2 of 3 blocks; the 1 downsampling block \(layer2\.0\) excluded\) — ResNet-20 mean increase in test error per single deletion 41\.0 ± 2\.5 % vs no change 0\.0 %.* Paper's claim \(Veit et al\. 2016 §4\.1, Fig\. 3a; ResNet-110 \(54 blocks\), CIFAR-10\).* Parameters: ResNet-20 1,000\./);
  });
});

describe('paths claim', () => {
  // All of a seed's gradient at one length, so its gradient-weighted mean length is that length.
  const seed = (at: number) => ({ depth: 56, finalTrainError: 0.1, blocks: 9, distribution: pathLengthDistribution(9), gradientByLength: [], contribution: Array.from({ length: 10 }, (_, k) => ({ length: k, share: k === at ? 1 : 0 })), effectiveRange: { from: at, to: at, coverage: 1 }, paper: { blocks: 54, effectiveFrom: 5, effectiveTo: 17, model: 'ResNet-110 on CIFAR-10' } });
  const paths = (lengths: number[]) => results('paths', lengths.map(seed));
  it('effective paths shorter than the distribution alone predicts: supported, contradicted, inconclusive', () => {
    expect(outcomes('paths', paths([1, 1, 2]))).toEqual(['supported']);
    expect(outcomes('paths', paths([5, 5, 6]))).toEqual(['contradicted']);
    expect(outcomes('paths', paths([1, 4, 7]))).toEqual(['inconclusive']);
    expect(ANALYSIS_CLAIMS.paths(paths([1, 1, 2]))[0]!.verdict.evidence).toBe('the distribution-only mean length (n/2) 4.5 vs the gradient-weighted mean path length 1.3 ± 1.4 (mean ± 95 % t-interval over 3 seeds)');
  });
});

describe('landscape claim', () => {
  const model = (family: string, ratio: number, residual: number) => ({ family, parameters: 500, line: [], surface: { alphas: [], betas: [], losses: [] }, hessian: { maxEigenvalue: 10, minEigenvalue: -10 * ratio, ratio, maxResidual: residual, minResidual: residual, iterations: 20 } });
  const landscape = (plain: number[], res: number[], residual = 0.01) => results('landscape', zip((p, r) => ({ depth: 20, images: 128, models: [model('residual', r, residual), model('plain', p, residual)] }), plain, res));
  it('the plain minimum is less convex: supported, contradicted, inconclusive by overlap and by unconverged Lanczos residuals', () => {
    expect(outcomes('landscape', landscape(high, low))).toEqual(['supported']);
    expect(outcomes('landscape', landscape(low, low))).toEqual(['contradicted']);
    expect(outcomes('landscape', landscape(spread, low))).toEqual(['inconclusive']);
    const unconverged = ANALYSIS_CLAIMS.landscape(landscape(high, low, 2))[0]!.verdict;
    expect(unconverged.outcome).toBe('inconclusive');
    expect(unconverged.reason).toMatch(/but the Lanczos estimates have not converged \(worst residual 0\.200 × \|λmax\|/);
  });
});

describe('gradient-flow claim', () => {
  const model = (family: string, ratio: number, error: number) => ({ name: family === 'plain' ? 'plain-56' : 'ResNet-56', family, weightedLayers: 56, parameters: 850000, lr: 0.05, snapshots: [{ epoch: 0, loss: 2.3, firstToLastRatio: 1, convActivationRatio: ratio, layers: [] }], trainError: [0.5, error] });
  const flow = (depth: number, plainRatio: number[], plainError: number[], resError: number[]) => results('gradient-flow', zip((r, p, e) => ({ depth, models: [model('plain', r, p), model('residual', 1, e)] }), plainRatio, plainError, resError));
  it('plain trains worse without vanishing gradients: supported, contradicted, inconclusive — and inconclusive below depth 56', () => {
    expect(outcomes('gradient-flow', flow(56, [0.8, 0.9, 1], high, low))).toEqual(['supported']);
    expect(outcomes('gradient-flow', flow(56, [0.8, 0.9, 1], low, high))).toEqual(['contradicted']);
    expect(outcomes('gradient-flow', flow(56, [0.8, 0.9, 1], spread, low))).toEqual(['inconclusive']);
    const shallow = ANALYSIS_CLAIMS['gradient-flow'](flow(20, [0.8, 0.9, 1], high, low))[0]!.verdict;
    expect(shallow.outcome).toBe('inconclusive');
    expect(shallow.reason).toMatch(/the nets have 20 layers, below the 56/);
  });
});

describe('representations claims', () => {
  const model = (family: string, change: number, cka: number) => ({ family, parameters: 1000, blocks: ['a', 'b'], ratios: [{ block: 'a', branchRatio: null, changeRatio: change }, { block: 'b', branchRatio: null, changeRatio: change }], cka: [[1, cka], [cka, 1]], drift: null });
  const reps = (plainChange: number[], resChange: number[], resCka: number[]) => results('representations', zip((p, r, c) => ({ depth: 20, images: 64, models: [model('residual', r, c), model('plain', p, 0.3)] }), plainChange, resChange, resCka));
  it('a residual block changes its input less, and adjacent residual outputs are more alike: each outcome', () => {
    expect(outcomes('representations', reps(high, low, [0.9, 0.91, 0.92]))).toEqual(['supported', 'supported']);
    expect(outcomes('representations', reps(low, high, [0.1, 0.11, 0.12]))).toEqual(['contradicted', 'contradicted']);
    expect(outcomes('representations', reps(spread, low, [0.1, 0.5, 0.9]))).toEqual(['inconclusive', 'inconclusive']);
  });
});

describe('feature-reuse claim', () => {
  const reuse = (change: number[]) => results('feature-reuse', change.map((c) => ({ blocks: [], initialBlocks: [], nonPredecessorShare: { initial: 0.7, trained: 0.7 + c, change: c }, table: [{ name: 'DenseNet-BC', parameters: 100, trainError: 0.1, testError: 0.1 }] })));
  it('training keeps early features in use (a change, not a level): supported, contradicted, inconclusive', () => {
    expect(outcomes('feature-reuse', reuse([0.01, 0.02, 0.03]))).toEqual(['supported']);
    expect(outcomes('feature-reuse', reuse([-0.3, -0.31, -0.32]))).toEqual(['contradicted']);
    expect(outcomes('feature-reuse', reuse([-0.2, 0, 0.2]))).toEqual(['inconclusive']);
  });
});

describe('highway-gates claim', () => {
  const model = (family: string, error: number) => ({ family, parameters: family === 'plain' ? 50000 : 100000, trainError: [0.5, error], testError: [null, null], gates: [] });
  const hw = (plain: number[], highway: number[]) => results('highway-gates', zip((p, h) => ({ depth: 20, width: 50, plainWidth: 71, models: [model('highway', h), model('plain', p)] }), plain, highway));
  it('the plain twin trains worse: supported, contradicted, inconclusive, printing both widths and parameter counts', () => {
    expect(outcomes('highway-gates', hw(high, low))).toEqual(['supported']);
    expect(outcomes('highway-gates', hw(low, high))).toEqual(['contradicted']);
    expect(outcomes('highway-gates', hw(spread, low))).toEqual(['inconclusive']);
    expect(ANALYSIS_CLAIMS['highway-gates'](hw(high, low))[0]!.parameters).toBe('highway-20 (width 50) 100,000 · plain-20 (width 71) 50,000');
  });
});

describe('unet-skips claim', () => {
  const epoch = (boundary: number, interior: number) => ({ epoch: 1, iou: 0.5, dice: 0.5, foregroundIou: 0.5, boundaryAccuracy: boundary, interiorAccuracy: interior, trainLoss: 0.1 });
  const unet = (boundaryGain: number[], interiorGain: number[]) => results('unet-skips', zip((b, i) => ({ size: 32, levels: 2, examples: [], models: [
    { name: 'U-Net', skip: 'concat', parameters: 2000, epochs: [epoch(0.5 + b, 0.5 + i)], masks: [] },
    { name: 'no skips', skip: 'none', parameters: 1500, epochs: [epoch(0.5, 0.5)], masks: [] },
  ] }), boundaryGain, interiorGain));
  it('the skips help boundary pixels more than interior ones: supported, contradicted, inconclusive', () => {
    expect(outcomes('unet-skips', unet(high, low))).toEqual(['supported']);
    expect(outcomes('unet-skips', unet(low, high))).toEqual(['contradicted']);
    expect(outcomes('unet-skips', unet(spread, low))).toEqual(['inconclusive']);
  });
});

describe('transformer-residual claim', () => {
  const run = (residual: boolean, embedding: number, lastBlock: number) => ({ name: 'x', layers: 4, residual, parameters: 52_000, losses: [], trainLoss: [1], finalTrainError: 0.1, finalTestError: null, probes: [{ block: 'b', trainAccuracy: lastBlock, testAccuracy: lastBlock }], embeddingProbe: { block: 'embeddings', trainAccuracy: embedding, testAccuracy: embedding } });
  const tr = (resLast: number[], plainLast: number[]) => results('transformer-residual', zip((r, p) => ({ dim: 16, sequence: 28, runs: [run(true, 0.95, r), run(false, 0.95, p)] }), resLast, plainLast));
  it('residual adds keep position information that the embeddings hold: supported, contradicted, inconclusive', () => {
    expect(outcomes('transformer-residual', tr([0.95, 0.96, 0.97], [0.1, 0.11, 0.12]))).toEqual(['supported']);
    expect(outcomes('transformer-residual', tr([0.2, 0.21, 0.22], [0.1, 0.11, 0.12]))).toEqual(['contradicted']);
    expect(outcomes('transformer-residual', tr([0.5, 0.75, 1.0], [0.1, 0.11, 0.12]))).toEqual(['inconclusive']);
    expect(ANALYSIS_CLAIMS['transformer-residual'](tr(high, low))[0]!.parameters).toBe('residual (4 blocks) 52,000 · without adds (4 blocks) 52,000');
  });
});

describe('identity-construction claim', () => {
  const rows = (constructed: number, scratch: number) => [
    { name: 'plain-8', depth: 8, trainError: constructed, testError: 0.2 }, { name: 'plain-20 built', depth: 20, trainError: constructed, testError: 0.2 }, { name: 'plain-20 scratch', depth: 20, trainError: scratch, testError: 0.3 },
  ];
  const ic = (difference: number[], scratch: number[]) => results('identity-construction', zip((d, s) => ({ inserted: ['a'], maxOutputDifference: d, rows: rows(0.05, s) }), difference, scratch));
  it('a deeper solution exists but training misses it: supported, contradicted (same function but no gap, or not the same function), inconclusive', () => {
    expect(outcomes('identity-construction', ic([0, 0, 1e-6], high))).toEqual(['supported']);
    expect(outcomes('identity-construction', ic([0, 0, 1e-6], [0.04, 0.045, 0.05]))).toEqual(['contradicted']);
    expect(outcomes('identity-construction', ic([0.5, 0.6, 0.7], high))).toEqual(['contradicted']);
    expect(outcomes('identity-construction', ic([0, 0, 1e-6], spread))).toEqual(['inconclusive']);
  });
});

describe('degradation claim', () => {
  const run = (residual: boolean, depth: number, seed: number, error: number) => ({ id: `d${depth}-${residual}-${seed}`, depth, residual, seed, parameters: depth * 1000, complete: true, curve: [], epochs: [], finalTrainError: error, finalTestError: null, seconds: 1 });
  const degradation = (plainDeep: number[], resDeep: number[]) => ({
    version: 1 as const, experiment: 'degradation-quick', dataset: 'fashion-mnist', tier: 'quick', budget: '2 epochs on 5,000 fashion-mnist training images', writtenAt: '',
    runs: [0, 1, 2].flatMap((seed) => [run(false, 8, seed, 0.2 + seed * 0.001), run(false, 44, seed, plainDeep[seed]!), run(true, 8, seed, 0.2 + seed * 0.001), run(true, 44, seed, resDeep[seed]!)]),
  });
  it('plain degrades, residual does not: supported, contradicted (either part), inconclusive', () => {
    expect(degradationClaims(degradation([0.4, 0.41, 0.42], [0.18, 0.181, 0.182]))[0]!.verdict.outcome).toBe('supported');
    expect(degradationClaims(degradation([0.2, 0.2, 0.2], [0.18, 0.181, 0.182]))[0]!.verdict.outcome).toBe('contradicted');
    expect(degradationClaims(degradation([0.4, 0.41, 0.42], [0.4, 0.41, 0.42]))[0]!.verdict.outcome).toBe('contradicted');
    expect(degradationClaims(degradation([0.2, 0.4, 0.6], [0.18, 0.181, 0.182]))[0]!.verdict.outcome).toBe('inconclusive');
    const check = degradationClaims(degradation([0.4, 0.41, 0.42], [0.18, 0.181, 0.182]))[0]!;
    expect(check.parameters).toBe('plain-8 8,000 · plain-44 44,000 · ResNet-8 8,000 · ResNet-44 44,000');
    expect(claimSentence(check)).toMatch(/^Supported \(3 seeds; quick: 2 epochs on 5,000 fashion-mnist training images; fashion-mnist\): .* — plain-44 41\.0 ± 2\.5 % vs plain-8 20\.1 ± 0\.2 %/);
  });
});
