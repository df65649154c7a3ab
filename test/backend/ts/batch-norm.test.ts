import { describe, expect, it } from 'vitest';
import type { BatchNormParams } from '../../../src/backend/backend.js';
import { batchNormBackward, batchNormForward } from '../../../src/backend/ts/batch-norm.js';
import { Rng } from '../../../src/tensor/rng.js';
import { dot, numericGradient, poisoned, randomArray, relativeError } from '../../helpers/finite-difference.js';

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Per-channel statistics straight from the definition: index every (n, c, s) explicitly. */
function naiveStats(x: Float32Array, shape: number[]): { mean: number[]; variance: number[]; count: number } {
  const [batch, channels] = shape as [number, number];
  const spatial = size(shape.slice(2));
  const mean: number[] = [];
  const variance: number[] = [];
  for (let c = 0; c < channels; c++) {
    const values: number[] = [];
    for (let n = 0; n < batch; n++) for (let s = 0; s < spatial; s++) values.push(x[(n * channels + c) * spatial + s]!);
    const m = values.reduce((a, b) => a + b, 0) / values.length;
    mean.push(m);
    variance.push(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length);
  }
  return { mean, variance, count: batch * spatial };
}

function naiveNormalise(x: Float32Array, shape: number[], mean: number[], variance: number[], gamma: Float32Array | null, beta: Float32Array | null, eps: number): Float64Array {
  const channels = shape[1]!;
  const spatial = size(shape.slice(2));
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = Math.floor(i / spatial) % channels;
    out[i] = ((x[i]! - mean[c]!) / Math.sqrt(variance[c]! + eps)) * (gamma ? gamma[c]! : 1) + (beta ? beta[c]! : 0);
  }
  return out;
}

const shapes: number[][] = [[4, 3], [2, 3, 5], [3, 4, 5, 5], [2, 1, 3, 7], [1, 2, 2, 3], [5, 7, 1, 1], [2, 2, 3, 2, 2]];
const training: BatchNormParams = { training: true, momentum: 0.1, eps: 1e-5 };
const evaluation: BatchNormParams = { training: false, momentum: 0.1, eps: 1e-5 };

describe('batchNormForward', () => {
  it.each(shapes)('training: batch statistics, saved mean/invstd, running update with unbiased variance (%j)', (...shape) => {
    const rng = new Rng(size(shape));
    const channels = shape[1]!;
    const x = randomArray(rng, size(shape), 2);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + 3; // an offset makes cancellation visible
    const gamma = randomArray(rng, channels);
    const beta = randomArray(rng, channels);
    const runningMean = randomArray(rng, channels);
    const runningVar = Float32Array.from(randomArray(rng, channels), (v) => 1 + Math.abs(v));
    const oldMean = Float32Array.from(runningMean);
    const oldVar = Float32Array.from(runningVar);
    const out = poisoned(x.length);
    const saveMean = poisoned(channels);
    const saveInvStd = poisoned(channels);
    batchNormForward(x, shape, gamma, beta, runningMean, runningVar, training, out, saveMean, saveInvStd);
    const { mean, variance, count } = naiveStats(x, shape);
    expect(relativeError(out, naiveNormalise(x, shape, mean, variance, gamma, beta, 1e-5))).toBeLessThan(1e-5);
    expect(relativeError(saveMean, mean)).toBeLessThan(1e-6);
    expect(relativeError(saveInvStd, variance.map((v) => 1 / Math.sqrt(v + 1e-5)))).toBeLessThan(1e-6);
    expect(relativeError(runningMean, mean.map((m, c) => 0.9 * oldMean[c]! + 0.1 * m))).toBeLessThan(1e-6);
    expect(relativeError(runningVar, variance.map((v, c) => 0.9 * oldVar[c]! + (0.1 * v * count) / (count - 1)))).toBeLessThan(1e-6);
  });

  it.each(shapes)('eval: running statistics, nothing updated (%j)', (...shape) => {
    const rng = new Rng(size(shape) + 1);
    const channels = shape[1]!;
    const x = randomArray(rng, size(shape));
    const gamma = randomArray(rng, channels);
    const beta = randomArray(rng, channels);
    const runningMean = randomArray(rng, channels);
    const runningVar = Float32Array.from(randomArray(rng, channels), (v) => 0.5 + Math.abs(v));
    const before = [Float32Array.from(runningMean), Float32Array.from(runningVar)];
    const out = poisoned(x.length);
    const saveMean = poisoned(channels);
    const saveInvStd = poisoned(channels);
    batchNormForward(x, shape, gamma, beta, runningMean, runningVar, evaluation, out, saveMean, saveInvStd);
    const mean = Array.from(runningMean);
    const variance = Array.from(runningVar);
    expect(relativeError(out, naiveNormalise(x, shape, mean, variance, gamma, beta, 1e-5))).toBeLessThan(1e-5);
    expect(Array.from(runningMean)).toEqual(Array.from(before[0]!));
    expect(Array.from(runningVar)).toEqual(Array.from(before[1]!));
    expect(relativeError(saveMean, mean)).toBe(0);
  });

  it('affine=false and track_running_stats=false: plain batch standardisation, in eval too', () => {
    const shape = [3, 4, 2, 3];
    const x = randomArray(new Rng(17), size(shape));
    const { mean, variance } = naiveStats(x, shape);
    const expected = naiveNormalise(x, shape, mean, variance, null, null, 1e-3);
    for (const params of [{ ...training, eps: 1e-3 }, { ...evaluation, eps: 1e-3 }]) {
      const out = poisoned(x.length);
      batchNormForward(x, shape, null, null, null, null, params, out, new Float32Array(4), new Float32Array(4));
      expect(relativeError(out, expected)).toBeLessThan(1e-5);
    }
  });

  it('training with one value per channel is an error that names the kernel', () => {
    const x = new Float32Array(3);
    expect(() => batchNormForward(x, [1, 3], null, null, null, null, training, new Float32Array(3), new Float32Array(3), new Float32Array(3)))
      .toThrow(/batchNormForward.*more than 1 value per channel/);
  });
});

describe('batchNormBackward against finite differences of Σ batchNorm(x)·R', () => {
  const cases: Array<[string, number[], boolean, boolean]> = [];
  for (const shape of [[4, 3], [2, 3, 2, 3], [3, 2, 5], [1, 2, 3, 3]]) {
    for (const affine of [true, false]) for (const train of [true, false]) cases.push([`${JSON.stringify(shape)} affine=${affine} training=${train}`, shape, affine, train]);
  }

  it.each(cases)('%s', (_name, shape, affine, train) => {
    const rng = new Rng(size(shape) * 7 + (affine ? 1 : 0) + (train ? 2 : 0));
    const channels = shape[1]!;
    const x = randomArray(rng, size(shape));
    const gamma = affine ? randomArray(rng, channels) : null;
    const beta = affine ? randomArray(rng, channels) : null;
    const runningMean = randomArray(rng, channels, 0.3);
    const runningVar = Float32Array.from(randomArray(rng, channels), (v) => 0.5 + Math.abs(v));
    const weights = randomArray(rng, x.length);
    const params = train ? training : evaluation;
    const saveMean = new Float32Array(channels);
    const saveInvStd = new Float32Array(channels);
    const out = new Float32Array(x.length);
    // Training: no running stats, so finite differences do not move them between evaluations.
    const forward = (): void =>
      batchNormForward(x, shape, gamma, beta, train ? null : runningMean, train ? null : runningVar, params, out, saveMean, saveInvStd);
    const loss = (): number => {
      forward();
      return dot(out, weights);
    };
    forward();
    const dx = poisoned(x.length);
    const dgamma = affine ? poisoned(channels) : null;
    const dbeta = affine ? poisoned(channels) : null;
    batchNormBackward(x, shape, weights, gamma, saveMean, saveInvStd, train, dx, dgamma, dbeta);
    expect(relativeError(dx, numericGradient(x, loss, 1e-2))).toBeLessThan(2e-3);
    if (gamma && beta) {
      expect(relativeError(dgamma!, numericGradient(gamma, loss, 1e-2))).toBeLessThan(1e-3);
      expect(relativeError(dbeta!, numericGradient(beta, loss, 1e-2))).toBeLessThan(1e-3);
    }
  });

  it('without gamma the backward still returns dgamma and dbeta when asked', () => {
    const shape = [3, 2, 4];
    const rng = new Rng(23);
    const x = randomArray(rng, size(shape));
    const dy = randomArray(rng, x.length);
    const saveMean = new Float32Array(2);
    const saveInvStd = new Float32Array(2);
    batchNormForward(x, shape, null, null, null, null, training, new Float32Array(x.length), saveMean, saveInvStd);
    const dgamma = poisoned(2);
    const dbeta = poisoned(2);
    batchNormBackward(x, shape, dy, null, saveMean, saveInvStd, true, new Float32Array(x.length), dgamma, dbeta);
    const { mean, variance } = naiveStats(x, shape);
    const xhat = naiveNormalise(x, shape, mean, variance, null, null, 1e-5);
    for (let c = 0; c < 2; c++) {
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let n = 0; n < 3; n++) for (let s = 0; s < 4; s++) {
        const i = (n * 2 + c) * 4 + s;
        sumDy += dy[i]!;
        sumDyXhat += dy[i]! * xhat[i]!;
      }
      expect(dbeta[c]).toBeCloseTo(sumDy, 5);
      expect(dgamma[c]).toBeCloseTo(sumDyXhat, 5);
    }
  });
});
