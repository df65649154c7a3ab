import type { Backend, GemmParams } from '../../src/backend/backend.js';
import { Rng } from '../../src/tensor/rng.js';

/**
 * The machine's own reference for the speed test: one large matrix product, the kernel that
 * splits best over threads (no autograd, almost no copying), timed on the same backends as the
 * training steps. A busy or throttled machine lowers its gain from more threads and a training
 * step's together, so the two side by side tell the lab's own overhead from the machine's; a
 * step's gain rarely reaches the product's.
 */
export const PROBE_SIZE = 384;

/** Returns a timer: one product of two fixed `size`×`size` matrices on `backend`, in seconds. */
export function matrixProductProbe(size = PROBE_SIZE, seed = 1): (backend: Backend) => number {
  const rng = new Rng(seed);
  const a = Float32Array.from({ length: size * size }, () => rng.normal());
  const b = Float32Array.from({ length: size * size }, () => rng.normal());
  const c = new Float32Array(size * size);
  const params: GemmParams = {
    batch: 1, m: size, n: size, k: size, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false,
  };
  return (backend) => {
    const started = performance.now();
    backend.gemm(params, a, b, c);
    return (performance.now() - started) / 1000;
  };
}

/** GFLOP/s of a `size`³ product taking `seconds` (2·size³ floating-point operations). */
export const productGflops = (seconds: number, size = PROBE_SIZE): number => (2 * size ** 3) / seconds / 1e9;
