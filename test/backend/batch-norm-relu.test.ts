import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, BatchNormParams, Shape } from '../../src/backend/backend.js';
import { configureNative, nativeInfo, type NativeIsa } from '../../src/backend/native/index.js';
import { typescriptBackend as ts } from '../../src/backend/ts/index.js';
import { Rng } from '../../src/tensor/rng.js';
import { backendsUnderTest, maxRelativeError } from '../helpers/backends.js';

/**
 * Batch norm fused with the following ReLU (BatchNormParams.relu, batchNormBackward's
 * reluOutput) against the unfused composition on the same backend — batchNormForward, then
 * unary('relu'); unaryBackward('relu'), then batchNormBackward — which it must reproduce exactly
 * (the same arithmetic, one pass fewer), and against the TypeScript reference within 1e-4. The
 * native backend runs on each of its instruction-set paths at 1 and 2 threads.
 */
const rng = new Rng(11);
const random = (length: number, scale = 1, offset = 0): Float32Array =>
  Float32Array.from({ length }, () => (rng.uniform() * 2 - 1) * scale + offset);
const size = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

// Sizes 1, odd and prime, not multiples of the vector widths, a plane longer than the native
// kernels' 4096-value summation chunk, and values whose mean is 10⁴ standard deviations from 0
// (where a one-pass Σx² − N·mean² variance would lose every digit).
const shapes: { xShape: Shape; scale: number; offset: number }[] = [
  ...[[4, 3, 5, 7], [2, 17], [3, 16, 8, 8], [1, 5, 3, 1], [5, 2, 33], [2, 2, 4100]].map((xShape) => ({ xShape, scale: 2, offset: 0.5 })),
  { xShape: [6, 3, 9, 10], scale: 0.05, offset: 500 },
];

interface Configuration { label: string; backend: Backend; setup(): void }
const native = nativeInfo();
const configurations: Configuration[] = backendsUnderTest().flatMap((backend): Configuration[] => {
  if (backend.name !== 'native' || !native) return [{ label: backend.name, backend, setup: () => {} }];
  const isas = [...new Set<NativeIsa>(['portable', ...native.supported])];
  return isas.flatMap((isa) => [1, 2].map((threads) => ({
    label: `native ${isa} ${threads} thread(s)`, backend, setup: () => void configureNative({ isa, threads }),
  })));
});
afterAll(() => {
  if (native) configureNative({ isa: native.isa, threads: native.threads });
});

function exactlyEqual(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(maxRelativeError(actual, expected), what).toBe(0);
}

describe.each(configurations)('batch norm + ReLU fused, $label', ({ backend: be, setup }) => {
  it('forward and backward equal BN then ReLU, and agree with the reference', () => {
    setup();
    for (const { xShape, scale, offset } of shapes) {
      const c = xShape[1]!, n = size(xShape);
      const x = random(n, scale, offset), dy = random(n);
      const gamma = random(c, 0.5, 1), beta = random(c, 0.5);
      // A channel with γ = β = 0 has every pre-activation exactly 0: ReLU's derivative there is 0.
      gamma[0] = 0;
      beta[0] = 0;
      for (const training of [true, false]) {
        for (const affine of [true, false]) {
          const what = `${xShape} training=${training} affine=${affine}`;
          const g = affine ? gamma : null, b = affine ? beta : null;
          const running = (): [Float32Array, Float32Array] => [Float32Array.from({ length: c }, (_, i) => 0.1 * i), new Float32Array(c).fill(1.5)];
          const forward = (backend: Backend, relu: boolean) => {
            const [rm, rv] = running();
            const out = new Float32Array(n), mean = new Float32Array(c), invStd = new Float32Array(c);
            const p: BatchNormParams = { training, momentum: 0.1, eps: 1e-5, relu };
            backend.batchNormForward(x, xShape, g, b, rm, rv, p, out, mean, invStd);
            return { out, mean, invStd, rm, rv };
          };
          const backward = (backend: Backend, dyIn: Float32Array, mean: Float32Array, invStd: Float32Array, reluOutput?: Float32Array) => {
            const dx = new Float32Array(n), dgamma = new Float32Array(c), dbeta = new Float32Array(c);
            backend.batchNormBackward(x, xShape, dyIn, g, mean, invStd, training, dx, affine ? dgamma : null, affine ? dbeta : null, reluOutput);
            return [dx, dgamma, dbeta] as const;
          };

          const plain = forward(be, false);
          const activated = new Float32Array(n);
          be.unary('relu', plain.out, activated);
          const fused = forward(be, true);
          exactlyEqual(fused.out, activated, `${what}: fused forward vs BN then ReLU`);
          for (const key of ['mean', 'invStd', 'rm', 'rv'] as const) exactlyEqual(fused[key], plain[key], `${what}: ${key}`);
          // (Running statistics near 0 leave the far-off values all positive in eval.)
          if (training || offset < 1) expect(fused.out.some((v) => v === 0) && fused.out.some((v) => v > 0), `${what}: the ReLU clips some values`).toBe(true);

          const maskedDy = new Float32Array(n);
          be.unaryBackward('relu', plain.out, activated, dy, maskedDy);
          const unfusedGrads = backward(be, maskedDy, plain.mean, plain.invStd);
          const fusedGrads = backward(be, dy, fused.mean, fused.invStd, fused.out);
          fusedGrads.forEach((grad, i) => exactlyEqual(grad, unfusedGrads[i]!, `${what}: fused backward output ${i} vs ReLU then BN backward`));

          const reference = forward(ts, true);
          const referenceGrads = backward(ts, dy, reference.mean, reference.invStd, reference.out);
          expect(maxRelativeError(fused.out, reference.out), `${what}: forward vs reference`).toBeLessThanOrEqual(1e-4);
          fusedGrads.forEach((grad, i) => {
            expect(maxRelativeError(grad, referenceGrads[i]!), `${what}: backward output ${i} vs reference`).toBeLessThanOrEqual(1e-4);
          });
        }
      }
    }
  });

  it('without reluOutput the backward pass is plain batch norm', () => {
    setup();
    const xShape = [3, 4, 6, 5], n = size(xShape);
    const x = random(n), dy = random(n), gamma = random(4, 1, 1);
    const mean = new Float32Array(4), invStd = new Float32Array(4), out = new Float32Array(n);
    be.batchNormForward(x, xShape, gamma, null, null, null, { training: true, momentum: 0.1, eps: 1e-5, relu: true }, out, mean, invStd);
    const plain = new Float32Array(n), withNull = new Float32Array(n), masked = new Float32Array(n);
    be.batchNormBackward(x, xShape, dy, gamma, mean, invStd, true, plain, null, null);
    be.batchNormBackward(x, xShape, dy, gamma, mean, invStd, true, withNull, null, null, null);
    be.batchNormBackward(x, xShape, dy, gamma, mean, invStd, true, masked, null, null, out);
    exactlyEqual(withNull, plain, 'reluOutput null');
    expect(maxRelativeError(masked, plain), 'the mask changes the gradient').toBeGreaterThan(1e-3);
  });
});

describe.skipIf(!native)('native batch norm and the thread count', () => {
  it('gives bit-identical results at 1 and 2 threads (each channel is summed by one thread in a fixed order)', () => {
    const be = configurations.find((c) => c.backend.name === 'native')!.backend;
    // 16·48·48 values per channel: enough for the kernel to give each thread its own channels.
    const xShape = [16, 6, 48, 48], n = size(xShape);
    const x = random(n, 3, 1), dy = random(n), gamma = random(6, 0.5, 1), beta = random(6, 0.5);
    for (const isa of new Set<NativeIsa>(['portable', ...native!.supported])) {
      const results = [1, 2].map((threads) => {
        configureNative({ isa, threads });
        const out = new Float32Array(n), mean = new Float32Array(6), invStd = new Float32Array(6);
        const rm = new Float32Array(6), rv = new Float32Array(6).fill(1);
        be.batchNormForward(x, xShape, gamma, beta, rm, rv, { training: true, momentum: 0.1, eps: 1e-5, relu: true }, out, mean, invStd);
        const dx = new Float32Array(n), dgamma = new Float32Array(6), dbeta = new Float32Array(6);
        be.batchNormBackward(x, xShape, dy, gamma, mean, invStd, true, dx, dgamma, dbeta, out);
        return [out, mean, invStd, rm, rv, dx, dgamma, dbeta];
      });
      results[0]!.forEach((a, i) => expect(maxRelativeError(results[1]![i]!, a), `${isa} array ${i}`).toBe(0));
    }
  });
});
