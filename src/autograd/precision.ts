import type { Precision } from '../backend/backend.js';

/**
 * The operand precision of the convolutions and matrix products recorded in a scope — mixed
 * precision as PyTorch's `torch.autocast(dtype=torch.bfloat16)` offers it, with FP32 master
 * weights (Kalamkar et al. 2019, §3; Micikevicius et al. 2018, §3.1). In a 'bf16' scope these
 * ops round their operands to bfloat16 and sum in FP32 (src/backend/bf16.ts), and their backward
 * passes, wherever they run, do the same; every other op, the weights, gradients and optimiser
 * stay FP32. FP32 is the default and the reference.
 */
let current: Precision = 'fp32';

/** The operand precision of the innermost `withPrecision` scope: 'fp32' outside any. */
export function operandPrecision(): Precision {
  return current;
}

/** Run `fn` with convolutions and matrix products in `precision`. */
export function withPrecision<T>(precision: Precision, fn: () => T): T {
  const previous = current;
  current = precision;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** `{ precision: 'bf16' }` inside a bf16 scope, else nothing (FP32 kernels take no field). */
export function precisionField(): { precision?: Precision } {
  return current === 'bf16' ? { precision: 'bf16' } : {};
}
