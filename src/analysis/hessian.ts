import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { recordActivationPattern, withActivationPattern } from '../autograd/activation-pattern.js';
import type { Module, Parameter } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { withPerturbedWeights, type Direction } from './landscape.js';
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

/** v ← v / ‖v‖ */
function normalize(v: Float64Array): void {
  const norm = Math.sqrt(dot(v, v));
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
}

/** a ← a + scale · b */
function axpy(a: Float64Array, scale: number, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i]! += scale * b[i]!;
}

/**
 * Hessian-vector products at the current weights: Hv = (g(θ + εv) − g(θ − εv)) / 2ε with every
 * ReLU and max pool frozen to the pattern they have at θ (autograd/activation-pattern.ts). The
 * frozen net equals the ReLU net near θ, so it has the same Hessian there, but its gradient is
 * smooth: the difference is exact up to O(ε²) and rounding, H stays symmetric, and the result
 * does not depend on ε — what double backward gives in PyTorch. Without freezing, a unit that
 * crosses zero within ε·v makes the gradient jump and swamps Hv. The weights are restored from a
 * saved copy after every product.
 */
export function hessianOperator(params: readonly Parameter[], loss: () => Tensor, epsilon: number): (v: Float64Array) => Float64Array {
  const pattern = recordActivationPattern(loss);
  return (v) => {
    const saved = params.map((p) => p.f32.slice());
    const frozenGradient = () => withActivationPattern(pattern, () => gradientAt(params, loss));
    try {
      shift(params, v, epsilon);
      const plus = frozenGradient();
      params.forEach((p, i) => p.f32.set(saved[i]!));
      shift(params, v, -epsilon);
      const minus = frozenGradient();
      for (let i = 0; i < plus.length; i++) plus[i] = (plus[i]! - minus[i]!) / (2 * epsilon);
      return plus;
    } finally {
      params.forEach((p, i) => p.f32.set(saved[i]!));
    }
  };
}

/** One Hessian-vector product Hv at the current weights (see `hessianOperator`). */
export function hessianVectorProduct(params: readonly Parameter[], loss: () => Tensor, v: Float64Array, epsilon: number): Float64Array {
  return hessianOperator(params, loss, epsilon)(v);
}

/** An eigenvalue estimate with the residual ‖Av − λv‖ of its unit Ritz vector v (0 = exact). */
export interface EigenEstimate {
  value: number;
  residual: number;
}

/** What Lanczos found: the extreme eigenvalue estimates with their residuals, and every Ritz value. */
export interface LanczosResult {
  max: EigenEstimate;
  min: EigenEstimate;
  /** Every Ritz value (eigenvalue of the tridiagonal T), ascending. */
  ritzValues: number[];
  /** Lanczos steps taken (fewer than asked when the Krylov space is exhausted). */
  steps: number;
}

/**
 * The extreme eigenvalues of a symmetric operator by Lanczos with full reorthogonalisation
 * (Golub & Van Loan §10.1): `steps` products build an orthonormal Krylov basis Q and the
 * tridiagonal T = QᵀAQ, whose small eigenproblem is solved exactly; the extreme Ritz values
 * converge to λmax and λmin together, at a rate set by their gap to the rest of the spectrum —
 * unlike power iteration on A − λmax·I, whose rate λmax/(λmax + |λmin|) is close to 1 when
 * |λmin| ≪ λmax, as for trained nets (Li et al. 2018 §6). Each Ritz vector's residual is then
 * measured with one more product, so an unconverged estimate shows itself.
 */
export function lanczosExtremes(apply: (v: Float64Array) => Float64Array, size: number, steps: number, rng: Rng): LanczosResult {
  if (!(Number.isInteger(steps) && steps >= 1)) throw new RangeError(`lanczosExtremes: steps must be a positive integer, got ${steps}`);
  const m = Math.min(steps, size);
  const basis: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  let q: Float64Array = new Float64Array(size);
  for (let i = 0; i < size; i++) q[i] = rng.normal();
  normalize(q);
  for (let j = 0; j < m; j++) {
    basis.push(q);
    const w = apply(q);
    alpha.push(dot(q, w));
    // Full reorthogonalisation against the whole basis, twice ("twice is enough", Parlett):
    // without it rounding makes copies of converged Ritz values appear.
    for (let pass = 0; pass < 2; pass++) for (const b of basis) axpy(w, -dot(b, w), b);
    const norm = Math.sqrt(dot(w, w));
    if (j === m - 1 || norm <= 1e-10 * Math.max(1, Math.abs(alpha[j]!))) break; // done, or an invariant subspace
    beta.push(norm);
    normalize(w);
    q = w;
  }
  const k = alpha.length;
  const t = Matrix.zeros(k, k);
  for (let i = 0; i < k; i++) {
    t.set(i, i, alpha[i]!);
    if (i + 1 < k) {
      t.set(i, i + 1, beta[i]!);
      t.set(i + 1, i, beta[i]!);
    }
  }
  const eigen = new EigenvalueDecomposition(t, { assumeSymmetric: true });
  const values = eigen.realEigenvalues;
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ritz = (column: number): EigenEstimate => {
    const y = new Float64Array(size);
    for (let i = 0; i < k; i++) axpy(y, eigen.eigenvectorMatrix.get(i, column), basis[i]!);
    const value = values[column]!;
    const r = apply(y);
    axpy(r, -value, y);
    return { value, residual: Math.sqrt(dot(r, r) / dot(y, y)) };
  };
  const min = ritz(order[0]!);
  const max = k > 1 ? ritz(order[k - 1]!) : min;
  return { max, min, ritzValues: order.map((i) => values[i]!), steps: k };
}

/** Lanczos steps used by the landscape experiment; the tests check the ratio at exactly these counts. */
export const HESSIAN_LANCZOS_STEPS = { quick: 30, full: 40 } as const;

/** The loss Hessian's extreme eigenvalues and |λmin/λmax| (Li et al. 2018 §6). */
export interface HessianEigenResult {
  /** The algebraically largest and smallest eigenvalues of the loss Hessian. */
  maxEigenvalue: number;
  minEigenvalue: number;
  /** |λ_min / λ_max| (Li et al. 2018 §6, Fig. 7: near 0 means locally convex, larger means strongly non-convex). */
  ratio: number;
  /** ‖Hv − λv‖ of each eigenvalue's unit eigenvector estimate: how far from converged it is. */
  maxResidual: number;
  minResidual: number;
  /** Lanczos steps taken (Hessian-vector products, plus 2 for the residuals). */
  iterations: number;
}

/**
 * The extreme eigenvalues of the loss Hessian at the current weights (Li et al. 2018 §6) by
 * Lanczos on Hessian-vector products, in evaluation mode so the loss is a deterministic function
 * of the weights. `loss` is evaluated on the model, which is left as it was found (weights
 * restored bit for bit, gradients and mode put back).
 *
 * The products freeze the ReLU pattern at the current weights (`hessianOperator`), so they are
 * exact for ReLU nets too; the residuals say whether Lanczos converged: trust a ratio only when
 * both are small next to λmax.
 */
export function hessianEigenRatio(model: Module, loss: () => Tensor, options: { rng: Rng; iterations?: number; epsilon?: number; params?: Parameter[] }): HessianEigenResult {
  const params = options.params ?? model.parameters();
  const size = params.reduce((n, p) => n + p.size, 0);
  const steps = options.iterations ?? HESSIAN_LANCZOS_STEPS.full;
  const epsilon = options.epsilon ?? 1e-3;
  return preservingState(model, () => {
    model.eval();
    const result = lanczosExtremes(hessianOperator(params, loss, epsilon), size, steps, options.rng);
    return {
      maxEigenvalue: result.max.value,
      minEigenvalue: result.min.value,
      ratio: Math.abs(result.min.value / result.max.value),
      maxResidual: result.max.residual,
      minResidual: result.min.residual,
      iterations: result.steps,
    };
  });
}

/** Hessian extreme eigenvalues at every point of a 2-D slice of weight space. */
export interface HessianRatioGrid {
  xs: number[];
  ys: number[];
  /** results[j][i] at θ + xs[i]·d₁ + ys[j]·d₂. */
  results: HessianEigenResult[][];
}

/**
 * |λ_min/λ_max| over a 2-D slice of weight space, as in Li et al. 2018 Fig. 7: the Hessian's
 * extreme eigenvalues at θ + x·d₁ + y·d₂ for every grid point (the same directions as the 2-D
 * loss surface). `onPoint` reports progress; the weights are restored after every point.
 */
export function hessianRatioGrid(
  model: Module, loss: () => Tensor, first: Direction, second: Direction, xs: readonly number[], ys: readonly number[],
  options: { rng: Rng; iterations?: number; epsilon?: number; onPoint?: (done: number, total: number) => void },
): HessianRatioGrid {
  const total = xs.length * ys.length;
  let done = 0;
  const results = ys.map((y) => xs.map((x) => {
    const result = withPerturbedWeights(model, [{ direction: first, alpha: x }, { direction: second, alpha: y }], () => hessianEigenRatio(model, loss, options));
    options.onPoint?.(++done, total);
    return result;
  }));
  return { xs: [...xs], ys: [...ys], results };
}
