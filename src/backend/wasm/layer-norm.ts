import type { Backend } from '../backend.js';
import type { WasmContext } from './arena.js';

/** Layer norm (Ba et al. 2016, §3) over rows of x (rows, cols), as src/backend/ts/layer-norm.ts. */
export function makeLayerNorm({ kernels, arena }: WasmContext): Pick<Backend, 'layerNormForward' | 'layerNormBackward'> {
  return {
    layerNormForward(x, rows, cols, gamma, beta, eps, out, saveMean, saveInvStd) {
      const length = rows * cols;
      arena.reset();
      const px = arena.input(x.subarray(0, length));
      const pgamma = gamma ? arena.input(gamma.subarray(0, cols)) : 0;
      const pbeta = beta ? arena.input(beta.subarray(0, cols)) : 0;
      const pout = arena.take(length);
      const pmean = arena.take(rows);
      const pinvStd = arena.take(rows);
      kernels.layerNormForward(px, rows, cols, pgamma, pbeta, eps, pout, pmean, pinvStd);
      arena.output(pout, out.subarray(0, length));
      arena.output(pmean, saveMean.subarray(0, rows));
      arena.output(pinvStd, saveInvStd.subarray(0, rows));
    },
    layerNormBackward(x, rows, cols, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta) {
      const length = rows * cols;
      arena.reset();
      const px = arena.input(x.subarray(0, length));
      const pdy = arena.input(dy.subarray(0, length));
      const pgamma = gamma ? arena.input(gamma.subarray(0, cols)) : 0;
      const pmean = arena.input(saveMean.subarray(0, rows));
      const pinvStd = arena.input(saveInvStd.subarray(0, rows));
      const pdx = arena.take(length);
      const psums = arena.takeBytes(16 * cols);
      kernels.layerNormBackward(px, rows, cols, pdy, pgamma, pmean, pinvStd, pdx, psums);
      arena.output(pdx, dx.subarray(0, length));
      const sums = arena.f64;
      if (dgamma) for (let j = 0; j < cols; j++) dgamma[j] = sums[psums / 8 + j]!;
      if (dbeta) for (let j = 0; j < cols; j++) dbeta[j] = sums[psums / 8 + cols + j]!;
    },
  };
}
