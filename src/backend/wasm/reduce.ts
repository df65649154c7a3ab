import type { Backend, ReduceOp } from '../backend.js';
import { typescriptBackend } from '../ts/index.js';
import type { WasmContext } from './arena.js';
import { contiguousSplit } from '../reduce-split.js';

const REDUCE_CODES: Record<ReduceOp, number> = { sum: 0, mean: 1, max: 2 };

/**
 * Reductions over a contiguous run of axes (every reduction a training step makes: bias
 * gradients over (N, H, W) after a permute-free view, means, loss sums) run in WebAssembly;
 * scattered axes and the max-reduction gradient, which walk arbitrary strides and are rare,
 * use the reference kernels.
 */
export function makeReduce({ kernels, arena }: WasmContext): Pick<Backend, 'reduce' | 'reduceMaxBackward'> {
  return {
    reduce(op, x, xShape, axes, out) {
      const split = contiguousSplit(xShape, axes);
      if (!split) {
        typescriptBackend.reduce(op, x, xShape, axes, out);
        return;
      }
      const { outer, reduced, inner } = split;
      arena.reset();
      const px = arena.input(x);
      const pout = arena.take(outer * inner);
      const scratch = arena.takeBytes(8 * inner);
      kernels.reduceContiguous(REDUCE_CODES[op], px, outer, reduced, inner, pout, scratch);
      arena.output(pout, out.subarray(0, outer * inner));
    },
    reduceMaxBackward: typescriptBackend.reduceMaxBackward,
  };
}
