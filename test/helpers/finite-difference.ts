import { Rng } from '../../src/tensor/rng.js';

/** `length` standard-normal float32 values from a seeded Rng. */
export function randomArray(rng: Rng, length: number, scale = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.normal() * scale;
  return out;
}

/**
 * Distinct, well-separated values (a shuffled ramp with step `step`), so that a perturbation
 * smaller than step/2 can never reorder two elements: max pooling stays differentiable.
 */
export function separatedArray(rng: Rng, length: number, step = 0.01): Float32Array {
  const order = rng.permutation(length);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (order[i]! - length / 2) * step;
  return out;
}

/** Σ out·weights in float64. */
export function dot(out: ArrayLike<number>, weights: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i]! * weights[i]!;
  return s;
}

/**
 * Central-difference gradient of `loss` with respect to every element of `v`. `v` is perturbed
 * in place and restored; the step actually taken is measured after float32 rounding, so the
 * quotient divides by the true difference of the inputs.
 */
export function numericGradient(v: Float32Array, loss: () => number, step: number): Float64Array {
  const grad = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const original = v[i]!;
    v[i] = original + step;
    const plus = v[i]!;
    const lossPlus = loss();
    v[i] = original - step;
    const minus = v[i]!;
    const lossMinus = loss();
    v[i] = original;
    grad[i] = (lossPlus - lossMinus) / (plus - minus);
  }
  return grad;
}

/** max |a − b| / max |b|: a norm-wise relative error that small gradient entries cannot inflate. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs expected ${expected.length}`);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (Number.isNaN(d)) return Infinity; // e.g. an element the kernel never wrote (poisoned)
    worst = Math.max(worst, d);
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return worst / Math.max(scale, 1e-12);
}

/** A float32 array filled with NaN: kernels must overwrite every element they own. */
export function poisoned(length: number): Float32Array {
  return new Float32Array(length).fill(Number.NaN);
}
