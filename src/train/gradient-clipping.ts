import type { Parameter } from '../nn/module.js';

/**
 * Scale all gradients so their global L2 norm is at most `maxNorm` (PyTorch's
 * clip_grad_norm_); returns the norm before clipping.
 */
export function clipGradNorm(params: readonly Parameter[], maxNorm: number): number {
  let total = 0;
  for (const p of params) {
    if (!p.grad) continue;
    for (const g of p.grad.f32) total += g * g;
  }
  const norm = Math.sqrt(total);
  const scale = maxNorm / (norm + 1e-6);
  if (scale < 1) for (const p of params) if (p.grad) p.grad.f32.forEach((g, i, a) => (a[i] = g * scale));
  return norm;
}

/** L2 norm of each parameter's gradient, by name (the gradient-flow measurements use this). */
export function gradientNorms(named: readonly [string, Parameter][]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, p] of named) {
    if (!p.grad) continue;
    let s = 0;
    for (const g of p.grad.f32) s += g * g;
    out[name] = Math.sqrt(s);
  }
  return out;
}
