import { noGrad } from '../../src/autograd/no-grad.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';

export interface KinkAwareResult {
  ok: boolean;
  checked: number;
  /** Elements skipped because a ReLU/max-pool kink lies within the step (one-sided slopes differ). */
  kinks: number;
  message: string;
}

/**
 * Gradcheck for networks with ReLUs: for each sampled element, compare the two one-sided
 * differences first. If they disagree, a kink lies within ±eps and neither is a derivative, so
 * the element is skipped (counted); otherwise their mean must match autograd. Fails when too many
 * elements are skipped, so it cannot pass vacuously.
 */
export function kinkAwareGradcheck(
  fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[],
  options: { eps?: number; atol?: number; rtol?: number; maxElementsPerInput?: number; seed?: number } = {},
): KinkAwareResult {
  const eps = options.eps ?? 1e-3;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-2;
  const maxElements = options.maxElementsPerInput ?? 60;
  for (const t of inputs) t.grad = null;
  const out = fn(...inputs);
  const rng = new Rng(options.seed ?? 99);
  const projection = Float32Array.from({ length: out.size }, () => rng.normal());
  out.backward(new Tensor(projection, out.shape));
  const loss = (): number => noGrad(() => {
    const y = fn(...inputs);
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.f32[i]! * projection[i]!;
    return s;
  });
  const base = loss();
  let checked = 0;
  let kinks = 0;
  const failures: string[] = [];
  inputs.forEach((input, k) => {
    if (!input.requiresGrad) return;
    const data = input.f32;
    const step = Math.max(1, Math.floor(input.size / maxElements));
    for (let i = 0; i < input.size; i += step) {
      const saved = data[i]!;
      data[i] = saved + eps;
      const up = (loss() - base) / (Math.fround(saved + eps) - saved);
      data[i] = saved - eps;
      const down = (base - loss()) / (saved - Math.fround(saved - eps));
      data[i] = saved;
      const analytic = input.grad?.f32[i] ?? 0;
      const tolerance = atol + rtol * Math.abs(analytic);
      if (Math.abs(up - down) > tolerance) {
        kinks++;
        continue;
      }
      checked++;
      const numeric = (up + down) / 2;
      if (Math.abs(numeric - analytic) > tolerance) failures.push(`input ${k} element ${i}: analytic ${analytic.toPrecision(6)} vs numeric ${numeric.toPrecision(6)}`);
    }
  });
  const tooManyKinks = kinks > checked / 4;
  const ok = failures.length === 0 && !tooManyKinks && checked > 0;
  const message = `${failures.length} mismatches of ${checked} checked (${kinks} skipped at kinks)${tooManyKinks ? ' — too many kinks to trust' : ''}${failures.length ? `: ${failures.slice(0, 3).join('; ')}` : ''}`;
  return { ok, checked, kinks, message };
}
