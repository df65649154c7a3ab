import type { Backend, ReduceOp, Shape } from '../backend.js';
import { typescriptBackend } from '../ts/index.js';
import type { WasmContext } from './arena.js';

const REDUCE_CODES: Record<ReduceOp, number> = { sum: 0, mean: 1, max: 2 };

/** (outer, reduced, inner) when `axes` are contiguous, else null. */
function contiguousSplit(xShape: Shape, axes: readonly number[]): [number, number, number] | null {
  const sorted = [...axes].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]! + 1) return null;
  const first = sorted[0] ?? 0;
  const last = sorted[sorted.length - 1] ?? -1;
  let outer = 1;
  let reduced = 1;
  let inner = 1;
  for (let i = 0; i < xShape.length; i++) {
    if (i < first) outer *= xShape[i]!;
    else if (i <= last) reduced *= xShape[i]!;
    else inner *= xShape[i]!;
  }
  return [outer, reduced, inner];
}

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
      const [outer, reduced, inner] = split;
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
