import { describe, expect, it } from 'vitest';
import { layerNormBackward, layerNormForward } from '../../../src/backend/ts/layer-norm.js';
import { Rng } from '../../../src/tensor/rng.js';
import { dot, numericGradient, poisoned, randomArray, relativeError } from '../../helpers/finite-difference.js';

/** Each row standardised with its own mean and biased variance, then scaled per column. */
function naiveLayerNorm(x: Float32Array, rows: number, cols: number, gamma: Float32Array | null, beta: Float32Array | null, eps: number): { out: Float64Array; mean: number[]; invStd: number[] } {
  const out = new Float64Array(rows * cols);
  const mean: number[] = [];
  const invStd: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
    const m = row.reduce((a, b) => a + b, 0) / cols;
    const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / cols;
    mean.push(m);
    invStd.push(1 / Math.sqrt(v + eps));
    row.forEach((value, j) => {
      out[r * cols + j] = ((value - m) / Math.sqrt(v + eps)) * (gamma ? gamma[j]! : 1) + (beta ? beta[j]! : 0);
    });
  }
  return { out, mean, invStd };
}

const cases: Array<[number, number]> = [[1, 1], [1, 7], [4, 16], [3, 13], [8, 5], [2, 64]];

describe('layerNormForward', () => {
  it.each(cases)('matches the definition: %i rows x %i cols', (rows, cols) => {
    const rng = new Rng(rows * 100 + cols);
    const x = randomArray(rng, rows * cols, 3);
    const gamma = randomArray(rng, cols);
    const beta = randomArray(rng, cols);
    for (const [g, b] of [[gamma, beta], [null, null], [gamma, null], [null, beta]] as const) {
      const out = poisoned(rows * cols);
      const saveMean = poisoned(rows);
      const saveInvStd = poisoned(rows);
      layerNormForward(x, rows, cols, g, b, 1e-5, out, saveMean, saveInvStd);
      const expected = naiveLayerNorm(x, rows, cols, g, b, 1e-5);
      // A single column normalises to exactly 0 (+ beta).
      expect(relativeError(out, expected.out)).toBeLessThan(cols === 1 ? 1e-6 : 1e-5);
      expect(relativeError(saveMean, expected.mean)).toBeLessThan(1e-6);
      expect(relativeError(saveInvStd, expected.invStd)).toBeLessThan(1e-6);
    }
  });
});

describe('layerNormBackward against finite differences of Σ layerNorm(x)·R', () => {
  it.each(cases.filter(([, cols]) => cols > 1))('%i rows x %i cols', (rows, cols) => {
    const rng = new Rng(rows * 31 + cols);
    const x = randomArray(rng, rows * cols);
    const weights = randomArray(rng, rows * cols);
    for (const affine of [true, false]) {
      const gamma = affine ? randomArray(rng, cols) : null;
      const beta = affine ? randomArray(rng, cols) : null;
      const out = new Float32Array(rows * cols);
      const saveMean = new Float32Array(rows);
      const saveInvStd = new Float32Array(rows);
      const loss = (): number => {
        layerNormForward(x, rows, cols, gamma, beta, 1e-5, out, saveMean, saveInvStd);
        return dot(out, weights);
      };
      loss();
      const dx = poisoned(rows * cols);
      const dgamma = poisoned(cols);
      const dbeta = poisoned(cols);
      layerNormBackward(x, rows, cols, weights, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
      expect(relativeError(dx, numericGradient(x, loss, 1e-2))).toBeLessThan(2e-3);
      if (gamma && beta) {
        expect(relativeError(dgamma, numericGradient(gamma, loss, 1e-2))).toBeLessThan(1e-3);
        expect(relativeError(dbeta, numericGradient(beta, loss, 1e-2))).toBeLessThan(1e-3);
      }
    }
  });
});
