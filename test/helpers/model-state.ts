import type { Module } from '../../src/nn/module.js';

/**
 * Everything an analysis function could leave changed in a model, as plain values to compare
 * with `toEqual`: every parameter and buffer value, every parameter's gradient (values, or null)
 * and `requiresGrad`, every module's mode, and which modules still have hooks.
 */
export function modelState(model: Module): {
  values: Record<string, number[]>;
  grads: Record<string, number[] | null>;
  requiresGrad: Record<string, boolean>;
  training: Record<string, boolean>;
  hooked: string[];
} {
  const values = Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));
  const params = model.namedParameters();
  const grads = Object.fromEntries(params.map(([k, p]) => [k, p.grad ? Array.from(p.grad.f32) : null]));
  const requiresGrad = Object.fromEntries(params.map(([k, p]) => [k, p.requiresGrad]));
  const modules = [...model.namedModules()];
  const training = Object.fromEntries(modules.map(([k, m]) => [k, m.training]));
  const hooked = modules.filter(([, m]) => m.hooked).map(([k]) => k);
  return { values, grads, requiresGrad, training, hooked };
}
