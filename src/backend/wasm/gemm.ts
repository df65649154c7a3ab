import type { Backend, GemmParams } from '../backend.js';
import type { Lane, WasmContext } from './arena.js';
import { shareOf, taskCount } from './tasks.js';

/**
 * Batched GEMM on the SIMD128 kernel (wasm/assembly/gemm.ts). Transposed operands are passed as
 * (row stride, column stride) pairs and absorbed by the kernel's packing step, so there is no
 * separate transpose pass; only the elements the batch touches are copied in.
 */
export function makeGemm({ kernels, arena, parallel }: WasmContext): Backend['gemm'] {
  return (params: GemmParams, a: Float32Array, b: Float32Array, c: Float32Array): void => {
    const { batch, m, n, k, transA, transB, strideA, strideB, strideC, accumulate } = params;
    if (batch <= 0 || m <= 0 || n <= 0) return;
    const spanA = (batch - 1) * strideA + m * k;
    const spanB = (batch - 1) * strideB + k * n;
    const spanC = (batch - 1) * strideC + m * n;
    arena.reset();
    const pa = arena.input(a.subarray(0, spanA));
    const pb = arena.input(b.subarray(0, spanB));
    const pc = accumulate ? arena.input(c.subarray(0, spanC)) : arena.take(spanC);
    // Split the rows of C into tasks of whole micro-kernel row quads (4 rows) when the product is
    // big enough to pay for handing work to another thread; each lane packs into its own workspace.
    const quads = Math.ceil(m / 4);
    const tasks = taskCount(quads, batch * m * n * k);
    const work = Array.from({ length: parallel.lanes }, () => arena.take(kernels.gemmWorkspaceFloats()));
    // A(i, p): stored (m, k) → (k, 1); stored (k, m) and transposed → (1, m). Likewise B(p, j).
    const [aRow, aCol] = transA ? [1, m] : [k, 1];
    const [bRow, bCol] = transB ? [1, k] : [n, 1];
    parallel.run(tasks, (lane: Lane, task: number): void => {
      const [firstQuad, endQuad] = shareOf(quads, tasks, task);
      const first = 4 * firstQuad;
      const rows = Math.min(m, 4 * endQuad) - first;
      if (rows <= 0) return;
      for (let t = 0; t < batch; t++) {
        lane.call(
          'gemm', rows, n, k, pa + 4 * (t * strideA + first * aRow), aRow, aCol, pb + 4 * t * strideB, bRow, bCol,
          pc + 4 * (t * strideC + first * n), accumulate ? 1 : 0, work[lane.index]!,
        );
      }
    }, { laneScratch: true });
    if (strideC === m * n || batch === 1) {
      arena.output(pc, c.subarray(0, spanC));
    } else {
      // Copy back only the C blocks; whatever lies between them in `c` is not ours to touch.
      for (let t = 0; t < batch; t++) arena.output(pc + 4 * t * strideC, c.subarray(t * strideC, t * strideC + m * n));
    }
  };
}
