import { BatchNorm1d, BatchNorm2d } from '../nn/layers/batch-norm.js';
import type { Module } from '../nn/module.js';

/**
 * A scoped override that makes every batch norm of `model` pass its input through unchanged (the
 * "plain net without batch-norm" of the gradient-flow experiment), without touching any weight.
 * Returns the remover; until it is called the model trains and evaluates without normalisation.
 * The BN layers still compute (and are then ignored), which costs time but keeps `model` intact.
 */
export function withoutBatchNorm(model: Module): () => void {
  const removers: (() => void)[] = [];
  for (const m of model.modules()) {
    if (m instanceof BatchNorm2d || m instanceof BatchNorm1d) removers.push(m.registerForwardHook((_m, input) => input));
  }
  return () => removers.forEach((remove) => remove());
}
