/**
 * One lab run without any page or worker around it: the model, its optimiser, a seeded batch
 * order, a training step, and evaluation on fixed held-out images. The worker (worker.ts) drives
 * one of these per run; Node can drive it too (tests, and choosing the presets' settings).
 */
import { l2Norm, weightLayers } from '../../src/analysis/model-parts.js';
import { crossEntropy } from '../../src/autograd/functions/cross-entropy.js';
import { permute } from '../../src/autograd/functions/permute.js';
import { reshape } from '../../src/autograd/functions/reshape.js';
import { noGrad } from '../../src/autograd/no-grad.js';
import type { SkipModel } from '../../src/models/skip-model.js';
import type { Parameter } from '../../src/nn/module.js';
import { Adam } from '../../src/optim/adam.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { SGD } from '../../src/optim/sgd.js';
import { recycleTensors } from '../../src/tensor/recycling-scope.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { Batch } from '../../src/train/batches.js';
import { correctCount } from '../../src/train/metrics.js';
import { batchImages, batchLabels, batchMasks, type LabDataset, type LabSplit } from './asset.js';
import { buildLabModel } from './lab-model.js';
import type { LabSettings } from './settings.js';

/** Test images used for the accuracy curve and every measurement (the same ones each time). */
export const EVAL_IMAGES = 500;
const EVAL_BATCH = 250;

export interface Evaluation {
  loss: number;
  /** Top-1 accuracy, or pixel accuracy for segmentation. */
  accuracy: number;
}

/** Loss of a batch: cross-entropy over images, or over pixels of (N, C, H, W) logits. */
export function batchLoss(output: Tensor, y: Tensor): Tensor {
  if (output.ndim === 2) return crossEntropy(output, y);
  const [n, c, h, w] = output.shape as [number, number, number, number];
  const logits = reshape(permute(output, [0, 2, 3, 1]), [n * h * w, c]); // (N·H·W, C)
  return crossEntropy(logits, new Tensor(y.data, [n * h * w]));
}

/** Correct predictions in a batch: images, or pixels of (N, C, H, W) logits against (N, H, W). */
export function batchCorrect(output: Tensor, y: Tensor): number {
  if (output.ndim === 2) return correctCount(output, y);
  const [n, c, h, w] = output.shape as [number, number, number, number];
  const d = output.f32;
  const labels = y.data;
  let correct = 0;
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (d[(i * c + k) * h * w + p]! > d[(i * c + best) * h * w + p]!) best = k;
    if (best === labels[i * h * w + p]) correct++;
  }
  return correct;
}

/** Inputs and targets of the given images of a split. */
export function labBatch(data: LabDataset, split: LabSplit, indices: ArrayLike<number>): Batch {
  const x = new Tensor(batchImages(data, split, indices), [indices.length, data.channels, data.height, data.width]); // (N, C, H, W)
  const y = data.task === 'segmentation'
    ? new Tensor(batchMasks(data, split, indices), [indices.length, data.height, data.width]) // (N, H, W)
    : new Tensor(batchLabels(split, indices), [indices.length]); // (N)
  return { x, y };
}

/** 1 or 0 per held-out image: whether the model classifies it correctly (evaluation mode). */
export function correctPerImage(run: LabRun): number[] {
  const out: number[] = [];
  run.model.eval();
  noGrad(() => {
    for (const b of run.evalBatches) {
      const logits = run.model.forward(b.x); // (N, classes)
      const [n, classes] = logits.shape as [number, number];
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let k = 1; k < classes; k++) if (logits.f32[i * classes + k]! > logits.f32[i * classes + best]!) best = k;
        out.push(best === b.y.data[i] ? 1 : 0);
      }
    }
  });
  return out;
}

export class LabRun {
  readonly model: SkipModel;
  readonly evalBatches: Batch[];
  readonly weights: [string, Parameter][];
  step = 0;
  epoch = 0;
  private readonly optimizer: Optimizer;
  private readonly orderRng: Rng;
  private order: Int32Array = new Int32Array(0);
  private cursor = 0;

  constructor(readonly settings: LabSettings, readonly data: LabDataset, evalImages = EVAL_IMAGES) {
    this.model = buildLabModel(settings, { channels: data.channels, imageSize: data.height, numClasses: data.classNames.length });
    this.optimizer = settings.optimizer === 'sgd'
      // He et al. 2015 §3.4: momentum 0.9, weight decay 1e-4.
      ? new SGD(this.model.parameters(), { lr: settings.learningRate, momentum: 0.9, weightDecay: 1e-4 })
      : new Adam(this.model.parameters(), { lr: settings.learningRate });
    this.weights = weightLayers(this.model);
    // The same seed orders the batches, so runs compared side by side see identical data.
    this.orderRng = new Rng(settings.seed ^ 0x0bad5eed);
    const count = Math.min(evalImages, data.test.count);
    this.evalBatches = [];
    for (let start = 0; start < count; start += EVAL_BATCH) {
      this.evalBatches.push(labBatch(data, data.test, Array.from({ length: Math.min(EVAL_BATCH, count - start) }, (_, i) => start + i)));
    }
  }

  /** The next batch's image indices in the seeded order (a new permutation every epoch). */
  nextIndices(size = this.settings.batchSize): Int32Array {
    const out = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      if (this.cursor >= this.order.length) {
        this.order = this.orderRng.permutation(this.data.train.count);
        this.cursor = 0;
        if (this.step > 0) this.epoch++;
      }
      out[i] = this.order[this.cursor++]!;
    }
    return out;
  }

  /** One optimiser step on the next batch; its loss and correct predictions (images or pixels). */
  trainStep(): { loss: number; correct: number; count: number } {
    const batch = labBatch(this.data, this.data.train, this.nextIndices());
    this.model.train();
    // The step's activations go back to the storage pool when it ends (src/tensor/recycling-scope.ts).
    const result = recycleTensors(() => {
      this.optimizer.zeroGrad();
      const output = this.model.forward(batch.x);
      const loss = batchLoss(output, batch.y);
      loss.backward();
      this.optimizer.step();
      return { loss: loss.item(), correct: batchCorrect(output, batch.y), count: batch.y.size };
    });
    this.step++;
    return result;
  }

  /** ‖∂L/∂W‖ per weighted layer from the last step's gradients, in `weights` order. */
  gradientNorms(): number[] {
    return this.weights.map(([, p]) => (p.grad ? l2Norm(p.grad.f32) : 0));
  }

  /** Loss and accuracy on the held-out images, in evaluation mode. */
  evaluate(): Evaluation {
    let loss = 0;
    let correct = 0;
    let count = 0;
    let images = 0;
    this.model.eval();
    noGrad(() => {
      for (const b of this.evalBatches) {
        const output = this.model.forward(b.x);
        loss += batchLoss(output, b.y).item() * b.x.shape[0]!;
        correct += batchCorrect(output, b.y);
        count += b.y.size;
        images += b.x.shape[0]!;
      }
    });
    return { loss: loss / images, accuracy: correct / count };
  }
}
