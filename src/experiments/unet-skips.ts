import { crossEntropy } from '../autograd/functions/cross-entropy.js';
import { permute } from '../autograd/functions/permute.js';
import { reshape } from '../autograd/functions/reshape.js';
import { noGrad } from '../autograd/no-grad.js';
import { loadDigitSegmentation } from '../data/digit-segmentation.js';
import { createModel } from '../models/registry.js';
import type { SkipModel } from '../models/skip-model.js';
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import type { Batch } from '../train/batches.js';
import { segmentationScores } from '../train/metrics.js';
import { fixedBatches, pick, secondsSince, trainModel, writeResults, type AnalysisContext } from './analysis-common.js';

/** Per-pixel cross-entropy: logits (N, C, H, W) against labels (N, H, W). */
function pixelLoss(output: Tensor, batch: Batch): Tensor {
  const [n, c, h, w] = output.shape as [number, number, number, number];
  const logits = reshape(permute(output, [0, 2, 3, 1]), [n * h * w, c]); // (N·H·W, C)
  return crossEntropy(logits, new Tensor(batch.y.data, [n * h * w]));
}

/** Arg-max class per pixel of (N, C, H, W) logits. */
function predictMasks(model: SkipModel, x: Tensor): Uint8Array {
  const out = noGrad(() => model.eval().forward(x));
  const [n, c, h, w] = out.shape as [number, number, number, number];
  const masks = new Uint8Array(n * h * w);
  const d = out.f32;
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (d[(i * c + k) * h * w + p]! > d[(i * c + best) * h * w + p]!) best = k;
    masks[i * h * w + p] = best;
  }
  return masks;
}

/** Pixels whose 4-neighbourhood holds another class in the target: where the long skips should help. */
function boundaryPixels(target: ArrayLike<number>, n: number, h: number, w: number): boolean[] {
  const out = new Array<boolean>(n * h * w).fill(false);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const v = target[(i * h + y) * w + x];
    for (const [dy, dx] of [[0, 1], [1, 0], [0, -1], [-1, 0]] as const) {
      const yy = y + dy;
      const xx = x + dx;
      if (yy >= 0 && yy < h && xx >= 0 && xx < w && target[(i * h + yy) * w + xx] !== v) out[(i * h + y) * w + x] = true;
    }
  }
  return out;
}

/**
 * U-Net with vs without its long skips (Ronneberger et al. 2015 §2) on the digit-segmentation
 * set: IoU and Dice per epoch, accuracy on boundary pixels, and predicted masks of a few test
 * images for the report.
 */
export async function runUnetSkips(context: AnalysisContext): Promise<string> {
  const started = performance.now();
  const s = pick(context.mode, { train: 384, test: 96, size: 36, levels: 2, width: 8, epochs: 4 }, { train: 4000, test: 500, size: 64, levels: 4, width: 32, epochs: 20 });
  const options = { size: s.size, labels: 'binary' as const, minDigits: 1, maxDigits: 2 };
  const train = loadDigitSegmentation('train', { ...options, count: s.train });
  const test = loadDigitSegmentation('test', { ...options, count: s.test });
  const stats = train.channelStats();
  const testBatches = fixedBatches(test, stats, 48);
  const shown = 4;
  const models = [];
  for (const skip of ['concat', 'none'] as const) {
    const name = skip === 'none' ? 'U-Net without long skips' : 'U-Net';
    const model = createModel('unet', { levels: s.levels, baseWidth: s.width, inChannels: 1, numClasses: 2, skip, oddSizes: 'pad', rng: new Rng(context.seed + 1) });
    const epochs: { epoch: number; trainLoss: number; iou: number; dice: number; foregroundIou: number; boundaryAccuracy: number }[] = [];
    let predicted = new Uint8Array(0);
    const evaluate = (epoch: number, trainLoss: number): void => {
      const masks = testBatches.map((b) => predictMasks(model, b.x));
      predicted = Uint8Array.from(masks.flatMap((m) => Array.from(m)));
      const target = Uint8Array.from(testBatches.flatMap((b) => Array.from(b.y.data)));
      const scores = segmentationScores(predicted, target, 2);
      const boundary = boundaryPixels(target, test.count, test.height, test.width);
      let hit = 0;
      let total = 0;
      boundary.forEach((isEdge, i) => { if (isEdge) { total++; if (predicted[i] === target[i]) hit++; } });
      epochs.push({ epoch, trainLoss, iou: scores.meanIou, dice: scores.meanDice, foregroundIou: scores.iou[1]!, boundaryAccuracy: hit / total });
      context.progress(`unet-skips: ${name} epoch ${epoch}: foreground IoU ${scores.iou[1]!.toFixed(3)}`);
    };
    await trainModel(model, { train, stats }, { epochs: s.epochs, batchSize: 32, lr: 0.05, seed: context.seed, loss: pixelLoss, onEpoch: (r) => evaluate(r.epoch + 1, r.trainLoss) });
    const pixels = test.height * test.width;
    models.push({ name, skip, parameters: model.parameterCount(), epochs, masks: Array.from({ length: shown }, (_, i) => Array.from(predicted.subarray(i * pixels, (i + 1) * pixels))) });
  }
  const pixels = test.height * test.width;
  const examples = Array.from({ length: shown }, (_, i) => ({
    image: Array.from(test.images.subarray(i * pixels, (i + 1) * pixels)),
    target: Array.from(test.masks!.subarray(i * pixels, (i + 1) * pixels)),
  }));
  return writeResults(context, 'unet-skips', 'Ronneberger et al. 2015: U-Net with and without its long skip connections on digit segmentation.',
    { model: 'unet', epochs: s.epochs, trainSubset: s.train }, { seconds: secondsSince(started), size: s.size, levels: s.levels, models, examples });
}
