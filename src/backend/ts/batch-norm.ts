import type { BatchNormParams, ChannelAffine, Shape } from '../backend.js';

/**
 * Batch normalisation (Ioffe & Szegedy 2015, Algorithm 1) over x viewed as (N, C, S), S the
 * product of the spatial sizes. Per-channel sums run in float64 (JavaScript numbers): a float32
 * running sum over N·S ≈ 10⁵ values would lose about three digits of the mean.
 */

/** (N, C, S) of an (N, C, ...) shape. */
function view(xShape: Shape): [number, number, number] {
  let spatial = 1;
  for (let i = 2; i < xShape.length; i++) spatial *= xShape[i]!;
  return [xShape[0]!, xShape[1]!, spatial];
}

/**
 * Training: batch mean and biased variance normalise x; running statistics (when given) move
 * towards the batch mean and the *unbiased* variance by `momentum` (PyTorch). Eval: the running
 * statistics normalise x; without running statistics (track_running_stats=False) the batch
 * statistics are used in eval too. saveMean/saveInvStd always receive what was used.
 */
export function batchNormForward(
  x: Float32Array, xShape: Shape, gamma: Float32Array | null, beta: Float32Array | null,
  runningMean: Float32Array | null, runningVar: Float32Array | null, p: BatchNormParams,
  out: Float32Array, saveMean: Float32Array, saveInvStd: Float32Array, residual: Float32Array | null = null,
): void {
  const [batch, channels, spatial] = view(xShape);
  const { mean, invStd } = channelStatistics(x, xShape, runningMean, runningVar, p, saveMean, saveInvStd);
  const imageStride = channels * spatial;
  for (let c = 0; c < channels; c++) {
    // y = γ·(x − mean)·invStd + β, folded into one multiply-add per element.
    const scale = (gamma ? gamma[c]! : 1) * invStd[c]!;
    const shift = (beta ? beta[c]! : 0) - mean[c]! * scale;
    for (let n = 0; n < batch; n++) {
      const start = n * imageStride + c * spatial;
      if (residual) {
        // bn(x), then + residual, each rounded to float32 as the two separate ops round, then the ReLU.
        for (let s = start; s < start + spatial; s++) {
          const v = Math.fround(Math.fround(x[s]! * scale + shift) + residual[s]!);
          out[s] = p.relu && !(v > 0) ? 0 : v;
        }
      } else if (p.relu) {
        // The fused ReLU, exactly unary('relu') of the line below.
        for (let s = start; s < start + spatial; s++) {
          const v = Math.fround(x[s]! * scale + shift);
          out[s] = v > 0 ? v : 0;
        }
      } else {
        for (let s = start; s < start + spatial; s++) out[s] = x[s]! * scale + shift;
      }
    }
  }
}

/** batchNormForward's statistics, and the map bn(x) = (x − saveMean)·scale + shift (scale = γ·invStd, shift = β). */
export function batchNormStatistics(
  x: Float32Array, xShape: Shape, gamma: Float32Array | null, beta: Float32Array | null,
  runningMean: Float32Array | null, runningVar: Float32Array | null, p: BatchNormParams,
  saveMean: Float32Array, saveInvStd: Float32Array, scale: Float32Array, shift: Float32Array,
): void {
  const { invStd } = channelStatistics(x, xShape, runningMean, runningVar, p, saveMean, saveInvStd);
  for (let c = 0; c < saveMean.length; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) * invStd[c]!;
    shift[c] = beta ? beta[c]! : 0;
  }
}

/**
 * Training: batch mean and biased variance normalise x; running statistics (when given) move
 * towards the batch mean and the *unbiased* variance by `momentum` (PyTorch). Eval: the running
 * statistics normalise x; without running statistics (track_running_stats=False) the batch
 * statistics are used in eval too. saveMean/saveInvStd receive what is used, in float32; the
 * float64 values are returned for the normalisation.
 */
function channelStatistics(
  x: Float32Array, xShape: Shape, runningMean: Float32Array | null, runningVar: Float32Array | null, p: BatchNormParams,
  saveMean: Float32Array, saveInvStd: Float32Array,
): { mean: Float64Array; invStd: Float64Array } {
  const [batch, channels, spatial] = view(xShape);
  const count = batch * spatial;
  const useBatchStats = p.training || runningMean === null || runningVar === null;
  if (useBatchStats && count <= 1) {
    throw new Error(`batchNormForward: batch statistics need more than 1 value per channel (got shape [${xShape.join(', ')}])`);
  }
  const imageStride = channels * spatial;
  const means = new Float64Array(channels), invStds = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    if (!useBatchStats) {
      saveMean[c] = means[c] = runningMean![c]!;
      saveInvStd[c] = invStds[c] = 1 / Math.sqrt(runningVar![c]! + p.eps);
      continue;
    }
    let sum = 0;
    for (let n = 0; n < batch; n++) {
      const start = n * imageStride + c * spatial;
      for (let s = start; s < start + spatial; s++) sum += x[s]!;
    }
    const mean = sum / count;
    // Two-pass variance: Σ(x − mean)² does not cancel catastrophically like Σx² − N·mean².
    let squares = 0;
    for (let n = 0; n < batch; n++) {
      const start = n * imageStride + c * spatial;
      for (let s = start; s < start + spatial; s++) {
        const d = x[s]! - mean;
        squares += d * d;
      }
    }
    if (p.training && runningMean && runningVar) {
      const m = p.momentum;
      runningMean[c] = (1 - m) * runningMean[c]! + m * mean;
      runningVar[c] = (1 - m) * runningVar[c]! + m * (squares / (count - 1));
    }
    saveMean[c] = means[c] = mean;
    saveInvStd[c] = invStds[c] = 1 / Math.sqrt(squares / count + p.eps);
  }
  return { mean: means, invStd: invStds };
}

/**
 * Training (statistics depend on x), with x̂ = (x − mean)·invStd and M = N·S:
 *   dx = γ·invStd/M · (M·dy − Σdy − x̂·Σ(dy·x̂))
 * Eval (statistics are constants): dx = dy·γ·invStd. In both, dγ = Σ dy·x̂ and dβ = Σ dy.
 * Pass training=true whenever the forward pass used batch statistics. With `reluOutput` (the
 * forward ran with relu: true), dy is first masked by reluOutput > 0: ReLU's backward, as
 * unaryBackward('relu') computes it, then batch norm's.
 */
export function batchNormBackward(
  x: Float32Array, xShape: Shape, dy: Float32Array, gamma: Float32Array | null,
  saveMean: Float32Array, saveInvStd: Float32Array, training: boolean,
  dx: Float32Array, dgamma: Float32Array | null, dbeta: Float32Array | null, reluOutput: Float32Array | null = null,
  _reluOf: ChannelAffine | null = null, // the mask from a map: channel-affine.ts turns it into reluOutput
  maskedGradient: Float32Array | null = null,
): void {
  if (reluOutput) {
    const masked = maskedGradient ?? new Float32Array(x.length);
    for (let i = 0; i < masked.length; i++) masked[i] = reluOutput[i]! > 0 ? dy[i]! : 0;
    dy = masked;
  }
  const [batch, channels, spatial] = view(xShape);
  const count = batch * spatial;
  const imageStride = channels * spatial;
  for (let c = 0; c < channels; c++) {
    const mean = saveMean[c]!;
    const invStd = saveInvStd[c]!;
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let n = 0; n < batch; n++) {
      const start = n * imageStride + c * spatial;
      for (let s = start; s < start + spatial; s++) {
        const g = dy[s]!;
        sumDy += g;
        sumDyXhat += g * (x[s]! - mean);
      }
    }
    sumDyXhat *= invStd;
    if (dgamma) dgamma[c] = sumDyXhat;
    if (dbeta) dbeta[c] = sumDy;
    const scale = (gamma ? gamma[c]! : 1) * invStd;
    if (training) {
      // dx = scale·(dy − mean(dy) − x̂·mean(dy·x̂)), with x̂ = (x − mean)·invStd expanded.
      const meanDy = sumDy / count;
      const k = (sumDyXhat / count) * invStd;
      for (let n = 0; n < batch; n++) {
        const start = n * imageStride + c * spatial;
        for (let s = start; s < start + spatial; s++) {
          dx[s] = scale * (dy[s]! - meanDy - (x[s]! - mean) * k);
        }
      }
    } else {
      for (let n = 0; n < batch; n++) {
        const start = n * imageStride + c * spatial;
        for (let s = start; s < start + spatial; s++) dx[s] = dy[s]! * scale;
      }
    }
  }
}
