import type { Backend } from '../backend.js';
import type { WasmContext } from './arena.js';

type SoftmaxKernels = Pick<Backend, 'softmaxForward' | 'softmaxBackward' | 'softmaxCrossEntropyForward' | 'softmaxCrossEntropyBackward'>;

/** Softmax, log-softmax and softmax cross-entropy (max-subtracted), as src/backend/ts/softmax.ts. */
export function makeSoftmax({ kernels, arena }: WasmContext): SoftmaxKernels {
  return {
    softmaxForward(x, outer, axisSize, inner, log, out) {
      arena.reset();
      const px = arena.input(x);
      const pout = arena.take(out.length);
      kernels.softmaxForward(px, outer, axisSize, inner, log ? 1 : 0, pout);
      arena.output(pout, out);
    },
    softmaxBackward(y, dy, outer, axisSize, inner, log, dx) {
      arena.reset();
      const py = arena.input(y);
      const pdy = arena.input(dy);
      const pdx = arena.take(dx.length);
      kernels.softmaxBackward(py, pdy, outer, axisSize, inner, log ? 1 : 0, pdx);
      arena.output(pdx, dx);
    },
    softmaxCrossEntropyForward(logits, rows, classes, labels, labelSmoothing, losses, probs) {
      arena.reset();
      const plogits = arena.input(logits.subarray(0, rows * classes));
      const plabels = arena.inputInt(labels.subarray(0, rows));
      const plosses = arena.take(rows);
      const pprobs = arena.take(rows * classes);
      kernels.softmaxCrossEntropyForward(plogits, rows, classes, plabels, labelSmoothing, plosses, pprobs);
      arena.output(plosses, losses.subarray(0, rows));
      arena.output(pprobs, probs.subarray(0, rows * classes));
    },
    softmaxCrossEntropyBackward(probs, rows, classes, labels, labelSmoothing, dLosses, dLogits) {
      arena.reset();
      const pprobs = arena.input(probs.subarray(0, rows * classes));
      const plabels = arena.inputInt(labels.subarray(0, rows));
      const pdLosses = arena.input(dLosses.subarray(0, rows));
      const pdLogits = arena.take(rows * classes);
      kernels.softmaxCrossEntropyBackward(pprobs, rows, classes, plabels, labelSmoothing, pdLosses, pdLogits);
      arena.output(pdLogits, dLogits.subarray(0, rows * classes));
    },
  };
}
