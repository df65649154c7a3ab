import { describe, expect, it } from 'vitest';
import { noGrad } from '../../../src/autograd/no-grad.js';
import { traceOps } from '../../../src/autograd/trace.js';
import type { Backend } from '../../../src/backend/backend.js';
import { BatchNorm2d } from '../../../src/nn/layers/batch-norm.js';
import { convBatchNorm } from '../../../src/nn/layers/conv-batch-norm.js';
import { Conv2d } from '../../../src/nn/layers/conv2d.js';
import { Rng } from '../../../src/tensor/rng.js';
import { randn, uniform, type Tensor } from '../../../src/tensor/tensor.js';
import { backendsUnderTest, maxRelativeError, withBackend } from '../../helpers/backends.js';

/**
 * convBatchNorm folds an evaluation-mode batch norm into the convolution in inference: the same
 * values as the two layers (to rounding), no batch-norm kernel, and the unfolded layers whenever
 * something could observe the difference.
 */
interface Unit { conv: Conv2d; bn: BatchNorm2d; x: Tensor }

function unit(seed: number, options: { bias: boolean; stride: number; groups: number }): Unit {
  const rng = new Rng(seed);
  const conv = new Conv2d(6, 8, 3, { padding: 1, stride: options.stride, groups: options.groups, bias: options.bias, rng });
  const bn = new BatchNorm2d(8);
  // Trained-looking statistics and affine parameters, means far from 0 (the folding's hard case).
  bn.running_mean!.f32.set(uniform([8], -3, 3, { rng }).f32);
  bn.running_var!.f32.set(uniform([8], 0.2, 4, { rng }).f32);
  bn.weight!.f32.set(uniform([8], 0.5, 1.5, { rng }).f32);
  bn.bias!.f32.set(uniform([8], -1, 1, { rng }).f32);
  bn.eval();
  return { conv, bn, x: randn([3, 6, 9, 7], { rng }) };
}

/** The backend with its batch-norm forward counted. */
function counting(backend: Backend): { backend: Backend; calls: () => number } {
  let calls = 0;
  return {
    backend: { ...backend, batchNormForward: (...args: Parameters<Backend['batchNormForward']>) => { calls++; return backend.batchNormForward(...args); } },
    calls: () => calls,
  };
}

describe('convBatchNorm', () => {
  for (const backend of backendsUnderTest()) {
    for (const [name, options] of [['bias, stride 2', { bias: true, stride: 2, groups: 1 }], ['no bias, groups 2', { bias: false, stride: 1, groups: 2 }]] as const) {
      it(`${backend.name}, ${name}: folded in inference, equal to conv then batch norm (± ReLU)`, () => {
        const { conv, bn, x } = unit(1, options);
        const spy = counting(backend);
        withBackend(spy.backend, () => {
          for (const relu of [false, true]) {
            const expected = noGrad(() => (relu ? bn.forwardRelu(conv.forward(x)) : bn.forward(conv.forward(x))));
            const before = spy.calls();
            const folded = noGrad(() => convBatchNorm(conv, bn, x, relu));
            expect(spy.calls()).toBe(before); // no batch-norm pass
            expect(folded.shape).toEqual(expected.shape);
            expect(maxRelativeError(folded.f32, expected.f32)).toBeLessThan(1e-5);
            if (relu) expect(Math.min(...folded.f32)).toBe(0);
          }
        });
      });
    }
  }

  it('runs the layers as written in training, with gradients, under a trace and with hooks', () => {
    const { conv, bn, x } = unit(2, { bias: false, stride: 1, groups: 1 });
    const spy = counting(backendsUnderTest()[0]!);
    withBackend(spy.backend, () => {
      const runs: [string, () => void][] = [
        ['gradients on', () => convBatchNorm(conv, bn, x, true)],
        ['trace', () => noGrad(() => traceOps(() => {}, () => convBatchNorm(conv, bn, x, true)))],
        ['hook', () => { const remove = bn.registerForwardHook(() => {}); noGrad(() => convBatchNorm(conv, bn, x)); remove(); }],
        ['training', () => { bn.train(); noGrad(() => convBatchNorm(conv, bn, x)); bn.eval(); }],
      ];
      for (const [what, run] of runs) {
        const before = spy.calls();
        run();
        expect(spy.calls(), what).toBe(before + 1);
      }
    });
  });
});
