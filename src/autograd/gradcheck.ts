import { Rng } from '../tensor/rng.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from './no-grad.js';

/** Step `eps` and tolerances of `gradcheck` (central differences), the seed of the probed elements and how many per input. */
export interface GradcheckOptions {
  /** Finite-difference step. float32 arithmetic limits how small this can usefully be. */
  eps?: number;
  /** Pass when |analytic − numeric| ≤ atol + rtol·|numeric| for every element. */
  atol?: number;
  rtol?: number;
  /** Seed for the random projection of the output. */
  seed?: number;
  /** Check at most this many elements per input (spread evenly), to bound the cost. */
  maxElementsPerInput?: number;
  /** Name used in the report (defaults to the output's op). */
  name?: string;
}

/** What `gradcheck` found: whether every analytic gradient matched the numeric one, the worst mismatch and a message. */
export interface GradcheckResult {
  ok: boolean;
  name: string;
  /** Largest |analytic − numeric| / (atol + rtol·|numeric|); ≤ 1 passes. */
  worstRatio: number;
  /** Where the worst element is and its two values, for the failure message. */
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
  message: string;
}

/**
 * Compare autograd's gradient of L = Σ fn(inputs) ⊙ R (R a fixed random tensor) with central
 * finite differences (L(x + ε) − L(x − ε)) / 2ε, for every input that requires a gradient.
 * At least one element must be compared: with no input requiring a gradient the result fails.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const eps = options.eps ?? 1e-2;
  const atol = options.atol ?? 1e-3;
  const rtol = options.rtol ?? 1e-2;
  const maxElements = options.maxElementsPerInput ?? 200;
  for (const t of inputs) t.grad = null;
  const out = fn(...inputs);
  const name = options.name ?? out.gradFn?.name ?? 'function';
  const rng = new Rng(options.seed ?? 1234);
  const projection = Float32Array.from({ length: out.size }, () => rng.normal());
  const loss = (y: Tensor): number => {
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.data[i]! * projection[i]!;
    return s;
  };
  if (!out.requiresGrad) {
    return { ok: false, name, worstRatio: Infinity, worst: null, message: `${name}: output does not require a gradient` };
  }
  out.backward(new Tensor(projection, out.shape));
  let worstRatio = 0;
  let worst: GradcheckResult['worst'] = null;
  let checked = 0;
  inputs.forEach((input, k) => {
    if (!input.requiresGrad) return;
    const analytic = input.grad?.f32 ?? new Float32Array(input.size);
    const data = input.f32;
    const step = Math.max(1, Math.floor(input.size / maxElements));
    for (let i = 0; i < input.size; i += step) {
      const saved = data[i]!;
      data[i] = saved + eps;
      const plus = noGrad(() => loss(fn(...inputs)));
      data[i] = saved - eps;
      const minus = noGrad(() => loss(fn(...inputs)));
      data[i] = saved;
      // Divide by the step actually taken in float32.
      const taken = Math.fround(saved + eps) - Math.fround(saved - eps);
      const numeric = (plus - minus) / taken;
      const ratio = Math.abs(analytic[i]! - numeric) / (atol + rtol * Math.abs(numeric));
      checked++;
      if (!(ratio <= worstRatio)) {
        worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
        worst = { input: k, index: i, analytic: analytic[i]!, numeric };
      }
    }
  });
  // Nothing compared is not a pass: a check that cannot fail proves nothing.
  if (checked === 0) {
    return { ok: false, name, worstRatio: Infinity, worst: null, message: `${name}: gradcheck checked nothing — no input requires a gradient (or every such input is empty)` };
  }
  const ok = worstRatio <= 1;
  const w = worst as GradcheckResult['worst'];
  const where = w ? `input ${w.input} ${formatShape(inputs[w.input]!.shape)} element ${w.index}: analytic ${w.analytic.toPrecision(6)} vs numeric ${w.numeric.toPrecision(6)}` : `${checked} elements`;
  return { ok, name, worstRatio, worst, message: `${name}: gradcheck ${ok ? 'passed' : 'FAILED'} (worst error ${worstRatio.toFixed(3)}× tolerance at ${where})` };
}
