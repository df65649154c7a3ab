import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { effectivePathRange, gradientByPathLength, pathLengthDistribution } from '../../src/analysis/paths.js';
import { pathsCalibrationSchema } from '../../src/experiments/results/pytorch-calibration.js';
import { resnetCifar } from '../../src/models/resnet-cifar.js';
import { gradientWeightedLength } from '../../src/report/claims/paths.js';
import { Rng } from '../../src/tensor/rng.js';
import { intTensor, randn } from '../../src/tensor/tensor.js';

/**
 * scripts/calibration/paths_standard.py's measurement of tiny nets (test/fixtures/paths-calibration)
 * against skiplab's definitions: as many residual junctions as skiplab's gradientByPathLength
 * routes, and the contribution, effective range and gradient-weighted mean path length that
 * skiplab derives from the same gradients per length.
 */
const path = fileURLToPath(new URL('../fixtures/paths-calibration/tiny.torch.json', import.meta.url));
const calibration = pathsCalibrationSchema.parse(JSON.parse(readFileSync(path, 'utf8')));

describe('the PyTorch paths calibration measures what skiplab measures', () => {
  it('counts the junctions skiplab routes, at depths 8 and 20', () => {
    expect(calibration.runs.map((r) => r.depth).sort((a, b) => a - b)).toEqual([8, 20]);
    const batch = { x: randn([2, 1, 28, 28], { rng: new Rng(1) }), y: intTensor([0, 1]) };
    for (const run of calibration.runs) {
      const model = resnetCifar({ depth: run.depth, baseWidth: calibration.recipe.baseWidth, inChannels: 1, numClasses: 10, rng: new Rng(0) });
      const ours = gradientByPathLength(model, batch, { rng: new Rng(0), samplesPerLength: 1, lengths: [0] });
      expect(run.blocks, `ResNet-${run.depth}`).toBe(ours.blocks);
      expect(run.gradientByLength!.map((g) => g.length)).toEqual(Array.from({ length: ours.blocks + 1 }, (_, k) => k));
      expect(run.gradientByLength!.every((g) => g.samples === calibration.measurement.samplesPerLength && g.gradientNorm > 0)).toBe(true);
    }
  });

  it('derives contribution, effective range and mean path length from its gradients as skiplab does', () => {
    for (const run of calibration.runs) {
      const raw = pathLengthDistribution(run.blocks!).map((d, k) => d.count * run.gradientByLength![k]!.gradientNorm);
      const total = raw.reduce((a, b) => a + b, 0);
      run.contribution!.forEach((c, k) => expect(c.share, `ResNet-${run.depth} length ${k}`).toBeCloseTo(raw[k]! / total, 12));
      expect(run.effectiveRange).toEqual(effectivePathRange(run.contribution!.map((c) => c.share), calibration.measurement.coverage));
      expect(run.gradientWeightedLength).toBeCloseTo(gradientWeightedLength({ contribution: run.contribution! }), 12);
    }
  });
});
