import type { Backend } from '../backend.js';
import type { Lane, WasmContext } from './arena.js';
import { type Input, type Output, runByElements } from './tasks.js';

/** SGD and Adam/AdamW steps (PyTorch's formulas, see backend.ts) and inverted dropout. */
export function makeOptimizers({ kernels, arena, parallel }: WasmContext): Pick<Backend, 'sgdStep' | 'adamStep' | 'dropoutForward'> {
  // Each task's range of the operands is copied in just before it may start, of `outputs` back as soon as it is done.
  const byElements = (n: number, call: (lane: Lane, first: number, count: number) => void, outputs: readonly Output[], inputs: readonly Input[]): void =>
    runByElements(parallel, arena, n, call, outputs, inputs);
  return {
    sgdStep(param, grad, momentumBuffer, p) {
      const useMomentum = p.momentum !== 0 && momentumBuffer !== null;
      arena.reset();
      const pparam = arena.take(param.length);
      const pgrad = arena.take(grad.length);
      const pbuffer = useMomentum ? arena.take(momentumBuffer.length) : 0;
      byElements(param.length, (lane, first, count) => lane.call(
        'sgdStep', pparam + 4 * first, pgrad + 4 * first, useMomentum ? pbuffer + 4 * first : 0, count, p.lr, p.momentum, p.dampening,
        p.weightDecay, p.nesterov ? 1 : 0, p.firstStep ? 1 : 0, useMomentum ? 1 : 0,
      ), useMomentum ? [[pparam, param], [pbuffer, momentumBuffer]] : [[pparam, param]],
      useMomentum ? [[pparam, param], [pgrad, grad], [pbuffer, momentumBuffer]] : [[pparam, param], [pgrad, grad]]);
    },
    adamStep(param, grad, m, v, p) {
      // Bias corrections in float64 once per step (Kingma & Ba 2015, Algorithm 1).
      const stepSize = p.lr / (1 - Math.pow(p.beta1, p.step));
      const invSqrtBias2 = 1 / Math.sqrt(1 - Math.pow(p.beta2, p.step));
      arena.reset();
      const pparam = arena.take(param.length);
      const pgrad = arena.take(grad.length);
      const pm = arena.take(m.length);
      const pv = arena.take(v.length);
      byElements(param.length, (lane, first, count) => lane.call(
        'adamStep', pparam + 4 * first, pgrad + 4 * first, pm + 4 * first, pv + 4 * first, count, p.lr, p.beta1, p.beta2, p.eps,
        p.weightDecay, p.decoupledWeightDecay ? 1 : 0, stepSize, invSqrtBias2,
      ), [[pparam, param], [pm, m], [pv, v]], [[pparam, param], [pgrad, grad], [pm, m], [pv, v]]);
    },
    dropoutForward(x, p, seed, out, mask) {
      arena.reset();
      const px = arena.input(x);
      const pout = arena.take(out.length);
      const pmask = arena.take(mask.length);
      // The seed is a 32-bit counter key; `>>> 0` matches dropoutUniform's unsigned view of it.
      kernels.dropoutForward(px, x.length, p, seed >>> 0, pout, pmask);
      arena.output(pout, out);
      arena.output(pmask, mask);
    },
  };
}
