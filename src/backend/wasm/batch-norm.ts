import type { Backend, BatchNormParams, Shape } from '../backend.js';
import type { Lane, WasmContext } from './arena.js';
import { copyRangeIn, ELEMENT_WORK, type Input, inputsByTask, type Output, outputsByTask, runByElements, shareOf, taskCount, unitElements } from './tasks.js';
import { UNARY_OPS } from './elementwise.js';

/**
 * Batch norm (Ioffe & Szegedy 2015, Algorithm 1) with the semantics of the reference
 * (src/backend/ts/batch-norm.ts). The O(N·C·S) passes — statistics, the normalising affine map,
 * the backward sums and the input gradient — run in WebAssembly; the O(C) per-channel algebra
 * (inverse std, running statistics, coefficients) stays here in float64.
 */
/** ReLU's index in the kernels' unary op table. */
const RELU_CODE = UNARY_OPS.indexOf('relu');

function view(xShape: Shape): [number, number, number] {
  let spatial = 1;
  for (let i = 2; i < xShape.length; i++) spatial *= xShape[i]!;
  return [xShape[0]!, xShape[1]!, spatial];
}

export function makeBatchNorm({ kernels, arena, parallel }: WasmContext): Pick<Backend, 'batchNormForward' | 'batchNormStatistics' | 'batchNormBackward'> {
  // The per-channel sums split by channels (each task's channels are whole, so the sums are the
  // same bits on any number of threads); the per-element maps split by images. A task's channels
  // of `inputs` (one plane per image) are copied in just before it may start.
  const byChannels = (
    batch: number, channels: number, spatial: number, call: (lane: Lane, first: number, count: number) => void, inputs: readonly Input[],
  ): void => {
    const tasks = taskCount(channels, 2 * batch * channels * spatial * ELEMENT_WORK);
    parallel.run(tasks, (lane, task) => {
      const [first, end] = shareOf(channels, tasks, task);
      call(lane, first, end - first);
    }, {
      prepare: (task) => {
        const [first, end] = shareOf(channels, tasks, task);
        const f32 = arena.f32;
        for (const [pointer, source] of inputs) {
          for (let n = 0; n < batch; n++) {
            const from = (n * channels + first) * spatial;
            f32.set(source.subarray(from, from + (end - first) * spatial), pointer / 4 + from);
          }
        }
      },
    });
  };
  // Each task's images of `inputs` are copied in just before it may start, of `outputs` back as soon as it is done.
  const byImages = (
    batch: number, image: number, call: (lane: Lane, first: number, count: number) => void, outputs: readonly Output[], inputs: readonly Input[] = [],
  ): void => {
    const tasks = taskCount(batch, batch * image * ELEMENT_WORK);
    parallel.run(tasks, (lane, task) => {
      const [first, end] = shareOf(batch, tasks, task);
      call(lane, first, end - first);
    }, {
      prepare: inputsByTask(arena, batch * image, unitElements(batch, image, tasks), inputs),
      finish: outputsByTask(arena, batch * image, unitElements(batch, image, tasks), outputs),
    });
  };
  /**
   * The statistics of x (copied into the arena at px) and the per-channel map bn(x) = (x − center)·scale +
   * shift with center the f32 mean: centring before scaling keeps the digits that folding the
   * mean into the shift would cancel (|mean| ≫ σ).
   */
  function statistics(
    x: Float32Array, px: number, xShape: Shape, gamma: Float32Array | null, beta: Float32Array | null, runningMean: Float32Array | null,
    runningVar: Float32Array | null, p: BatchNormParams, saveMean: Float32Array, saveInvStd: Float32Array,
    center: Float32Array, scale: Float32Array, shift: Float32Array,
  ): void {
    const [batch, channels, spatial] = view(xShape);
    const count = batch * spatial;
    const useBatchStats = p.training || runningMean === null || runningVar === null;
    if (useBatchStats && count <= 1) {
      throw new Error(`batchNormForward: batch statistics need more than 1 value per channel (got shape [${xShape.join(', ')}])`);
    }
    const pmean = arena.takeBytes(8 * channels);
    const pvariance = arena.takeBytes(8 * channels);
    if (useBatchStats) {
      byChannels(batch, channels, spatial, (lane, first, count) => lane.call(
        'batchNormStatistics', px + 4 * first * spatial, batch, count, spatial, pmean + 8 * first, pvariance + 8 * first, channels,
      ), [[px, x]]);
    } else {
      copyRangeIn(arena, [[px, x]], 0, x.length, x.length);
    }
    const f64 = arena.f64;
    for (let c = 0; c < channels; c++) {
      let mean: number;
      let invStd: number;
      if (useBatchStats) {
        mean = f64[pmean / 8 + c]!;
        const variance = f64[pvariance / 8 + c]!;
        invStd = 1 / Math.sqrt(variance + p.eps);
        if (p.training && runningMean && runningVar) {
          const m = p.momentum;
          runningMean[c] = (1 - m) * runningMean[c]! + m * mean;
          // Running variance is the unbiased estimate (PyTorch): variance · count / (count − 1).
          runningVar[c] = (1 - m) * runningVar[c]! + m * ((variance * count) / (count - 1));
        }
      } else {
        mean = runningMean![c]!;
        invStd = 1 / Math.sqrt(runningVar![c]! + p.eps);
      }
      saveMean[c] = mean;
      saveInvStd[c] = invStd;
      scale[c] = (gamma ? gamma[c]! : 1) * invStd;
      center[c] = Math.fround(mean);
      shift[c] = (beta ? beta[c]! : 0) - (mean - center[c]!) * scale[c]!;
    }
  }

  return {
    batchNormForward(x, xShape, gamma, beta, runningMean, runningVar, p, out, saveMean, saveInvStd, residual) {
      const [batch, channels, spatial] = view(xShape);
      arena.reset();
      const px = arena.take(x.length);
      const pout = arena.take(x.length);
      const pcenter = arena.take(channels);
      const pscale = arena.take(channels);
      const pshift = arena.take(channels);
      const center = new Float32Array(channels), scale = new Float32Array(channels), shift = new Float32Array(channels);
      statistics(x, px, xShape, gamma, beta, runningMean, runningVar, p, saveMean, saveInvStd, center, scale, shift);
      const f32 = arena.f32; // after the arena stopped growing
      f32.set(center, pcenter / 4);
      f32.set(scale, pscale / 4);
      f32.set(shift, pshift / 4);
      const relu = residual || !p.relu ? 0 : 1;
      const image = channels * spatial;
      const pr = residual ? arena.take(x.length) : 0;
      byImages(batch, image, (lane, first, count) => {
        const at = 4 * first * image;
        lane.call('channelAffine', px + at, pout + at, count, channels, spatial, pcenter, pscale, pshift, relu);
        if (residual) {
          // + residual (1·r is exact: the same rounding as the add kernel), then the ReLU kernel.
          lane.call('axpy', 1, pr + at, pout + at, count * image);
          if (p.relu) lane.call('unary', RELU_CODE, pout + at, pout + at, count * image);
        }
      }, [[pout, out]], residual ? [[pr, residual.subarray(0, x.length)]] : []);
    },

    batchNormStatistics(x, xShape, gamma, beta, runningMean, runningVar, p, saveMean, saveInvStd, scale, shift) {
      arena.reset();
      const center = new Float32Array(xShape[1]!);
      // saveMean holds the f32 mean, the centre of the map.
      statistics(x, arena.take(x.length), xShape, gamma, beta, runningMean, runningVar, p, saveMean, saveInvStd, center, scale, shift);
    },

    batchNormBackward(x, xShape, dy, gamma, saveMean, saveInvStd, training, dx, dgamma, dbeta, reluOutput, reluOf, maskedGradient) {
      const [batch, channels, spatial] = view(xShape);
      const count = batch * spatial;
      arena.reset();
      const px = arena.take(x.length);
      const pdy = arena.take(dy.length);
      if (reluOutput) {
        // Fused ReLU: mask dy in place by reluOutput > 0 with ReLU's own backward kernel (it
        // tests its x argument, and reluOutput > 0 exactly where the pre-activation is). x rides
        // along with each range, for the sums below.
        const py = arena.take(x.length);
        runByElements(parallel, arena, x.length, (lane, first, n) =>
          lane.call('unaryBackward', RELU_CODE, py + 4 * first, py + 4 * first, pdy + 4 * first, pdy + 4 * first, n),
        maskedGradient ? [[pdy, maskedGradient]] : [], [[py, reluOutput.subarray(0, x.length)], [pdy, dy], [px, x]]);
      } else if (reluOf) {
        // The batch norm ran as a convolution's input map: its ReLU output is recomputed from x
        // by the forward's own kernel (the same bits), image by image, then masks dy as above.
        const py = arena.take(x.length);
        const map = arena.inputMap({ ...reluOf, relu: true });
        const image = channels * spatial;
        byImages(batch, image, (lane, first, count) => {
          const at = 4 * first * image;
          lane.call('channelAffine', px + at, py + at, count, channels, spatial, map.mean, map.scale, map.shift, 1);
          lane.call('unaryBackward', RELU_CODE, py + at, py + at, pdy + at, pdy + at, count * image);
        }, maskedGradient ? [[pdy, maskedGradient]] : [], [[pdy, dy], [px, x]]);
      }
      const pmean = arena.input(saveMean.subarray(0, channels));
      const pdx = arena.take(x.length);
      const psumDy = arena.takeBytes(8 * channels);
      const psumCentered = arena.takeBytes(8 * channels);
      const pcoefficients = arena.take(4 * channels);
      const pzeros = arena.takeZeroed(channels);
      byChannels(batch, channels, spatial, (lane, first, count) => lane.call(
        'batchNormBackwardSums', px + 4 * first * spatial, pdy + 4 * first * spatial, batch, count, spatial,
        pmean + 4 * first, psumDy + 8 * first, psumCentered + 8 * first, channels,
      ), reluOutput || reluOf ? [] : [[px, x], [pdy, dy]]);
      const f64 = arena.f64;
      const f32 = arena.f32;
      for (let c = 0; c < channels; c++) {
        const invStd = saveInvStd[c]!;
        const sumDy = f64[psumDy / 8 + c]!;
        // Σ dy·x̂ with x̂ = (x − mean)·invStd.
        const sumDyXhat = f64[psumCentered / 8 + c]! * invStd;
        if (dgamma) dgamma[c] = sumDyXhat;
        if (dbeta) dbeta[c] = sumDy;
        const scale = (gamma ? gamma[c]! : 1) * invStd;
        const at = pcoefficients / 4 + 4 * c;
        // Training: dx = scale·(dy − mean(dy) − (x − mean)·mean(dy·x̂)·invStd). Eval: dx = scale·dy.
        f32[at] = scale;
        f32[at + 1] = training ? sumDy / count : 0;
        f32[at + 2] = saveMean[c]!;
        f32[at + 3] = training ? (sumDyXhat / count) * invStd : 0;
      }
      if (training) {
        const image = channels * spatial;
        byImages(batch, image, (lane, first, count) => {
          const at = 4 * first * image;
          lane.call('batchNormBackwardInput', px + at, pdy + at, pdx + at, count, channels, spatial, pcoefficients);
        }, [[pdx, dx]]);
      } else {
        for (let c = 0; c < channels; c++) f32[pcoefficients / 4 + c] = f32[pcoefficients / 4 + 4 * c]!;
        kernels.channelAffine(pdy, pdx, batch, channels, spatial, pzeros, pcoefficients, pzeros, 0);
        arena.output(pdx, dx);
      }
    },
  };
}
