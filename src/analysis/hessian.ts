import type { Module, Parameter } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { preservingState } from './model-parts.js';

/** Flattened gradient of `loss()` with respect to `params`, in float64. */
function gradientAt(params: readonly Parameter[], loss: () => Tensor): Float64Array {
  for (const p of params) p.grad = null;
  loss().backward();
  const total = params.reduce((n, p) => n + p.size, 0);
  const g = new Float64Array(total);
  let o = 0;
  for (const p of params) {
    if (p.grad) g.set(p.grad.f32, o);
    o += p.size;
  }
  for (const p of params) p.grad = null;
  return g;
}

function shift(params: readonly Parameter[], v: Float64Array, scale: number): void {
  let o = 0;
  for (const p of params) {
    const w = p.f32;
    for (let j = 0; j < w.length; j++) w[j]! += scale * v[o + j]!;
    o += p.size;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function normalize(v: Float64Array): number {
  const n = Math.sqrt(dot(v, v));
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
  return n;
}

/**
 * Hessian-vector product by central differences of gradients, Hv ≈ (g(θ + εv) − g(θ − εv)) / 2ε,
 * exact for a quadratic loss up to rounding. The weights are restored from a saved copy.
 */
export function hessianVectorProduct(params: readonly Parameter[], loss: () => Tensor, v: Float64Array, epsilon: number): Float64Array {
  const saved = params.map((p) => p.f32.slice());
  try {
    shift(params, v, epsilon);
    const plus = gradientAt(params, loss);
    params.forEach((p, i) => p.f32.set(saved[i]!));
    shift(params, v, -epsilon);
    const minus = gradientAt(params, loss);
    for (let i = 0; i < plus.length; i++) plus[i] = (plus[i]! - minus[i]!) / (2 * epsilon);
    return plus;
  } finally {
    params.forEach((p, i) => p.f32.set(saved[i]!));
  }
}

/** Power iteration for the eigenvalue of largest magnitude of (H − shift·I). */
function powerIteration(apply: (v: Float64Array) => Float64Array, size: number, iterations: number, rng: Rng): number {
  let v: Float64Array = new Float64Array(size);
  for (let i = 0; i < size; i++) v[i] = rng.normal();
  normalize(v);
  let eigenvalue = 0;
  for (let it = 0; it < iterations; it++) {
    const hv = apply(v);
    eigenvalue = dot(v, hv); // Rayleigh quotient
    if (normalize(hv) === 0) return 0;
    v = hv;
  }
  return eigenvalue;
}

/** The loss Hessian's extreme eigenvalues and |λmin/λmax| (Li et al. 2018 §6). */
export interface HessianEigenResult {
  maxEigenvalue: number;
  minEigenvalue: number;
  /** |λ_min / λ_max| (Li et al. 2018 §6, Fig. 7: near 0 means locally convex, larger means strongly non-convex). */
  ratio: number;
}

/**
 * The extreme eigenvalues of the loss Hessian at the current weights (Li et al. 2018 §6): power
 * iteration on Hessian-vector products gives the eigenvalue of largest magnitude λ₁; power
 * iteration on H − λ₁I then gives the other end of the spectrum. Evaluation mode, so the loss
 * is a deterministic function of the weights. `loss` is evaluated on the model, which is left
 * as it was found (weights restored bit for bit, gradients and mode put back).
 */
export function hessianEigenRatio(model: Module, loss: () => Tensor, options: { rng: Rng; iterations?: number; epsilon?: number; params?: Parameter[] }): HessianEigenResult {
  const params = options.params ?? model.parameters();
  const size = params.reduce((n, p) => n + p.size, 0);
  const iterations = options.iterations ?? 20;
  const epsilon = options.epsilon ?? 1e-3;
  return preservingState(model, () => {
    model.eval();
    const hv = (v: Float64Array): Float64Array => hessianVectorProduct(params, loss, v, epsilon);
    const first = powerIteration(hv, size, iterations, options.rng);
    const second = powerIteration((v) => {
      const out = hv(v);
      for (let i = 0; i < out.length; i++) out[i]! -= first * v[i]!;
      return out;
    }, size, iterations, options.rng) + first;
    const maxEigenvalue = Math.max(first, second);
    const minEigenvalue = Math.min(first, second);
    return { maxEigenvalue, minEigenvalue, ratio: Math.abs(minEigenvalue / maxEigenvalue) };
  });
}
