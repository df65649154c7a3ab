/**
 * What the presets measure on a trained (or training) run, each through skiplab's analysis layer
 * and the model's declared skips only: per-layer gradient size, single-block lesions, 1-D loss
 * slices, DenseNet feature reuse, highway gate activity, and per-image segmentation overlap.
 * Plain result objects, so the worker can post them and Node tests can check them.
 */
import { featureReuse, highwayGateActivity } from '../../src/analysis/feature-reuse.js';
import { filterNormalizedDirection, linspace, lossLandscape1d } from '../../src/analysis/landscape.js';
import { lesionableBlocks, withLesions } from '../../src/analysis/lesion.js';
import { l2Norm, withMode } from '../../src/analysis/model-parts.js';
import { noGrad } from '../../src/autograd/no-grad.js';
import { Rng } from '../../src/tensor/rng.js';
import { batchLoss, labBatch, type LabRun } from './lab-run.js';

/**
 * Root-mean-square gradient per element of each hidden layer's weight (per element, so layers
 * of different sizes compare; Glorot & Bengio 2010 §4.2), input side first. "Hidden" = the
 * weights of shape (width, width): the layers between the input and the classifier; for a
 * highway net, their transform H (its gates are a second weight of the same shape).
 */
export function hiddenGradientRms(run: LabRun): { layers: string[]; rms: number[] } {
  const hidden = run.weights.filter(([name, p]) => p.ndim === 2 && p.shape[0] === p.shape[1] && !name.includes('.gate.'));
  return { layers: hidden.map(([name]) => name), rms: hidden.map(([, p]) => (p.grad ? l2Norm(p.grad.f32) / Math.sqrt(p.size) : 0)) };
}

/**
 * The skip blocks whose output has their input's shape: the blocks Veit et al. 2016 §4 delete
 * (`lesionableBlocks`). Downsampling blocks (stride 2, more channels) are left out, as Veit et
 * al. left them out of their claim; their shortcut alone is not the identity.
 */
export function shapeKeepingBlocks(run: LabRun): string[] {
  return lesionableBlocks(run.model, labBatch(run.data, run.data.test, [0, 1]).x);
}

export interface LesionSweep {
  baselineAccuracy: number;
  /** Accuracy with each block deleted alone (Veit et al. 2016 Fig. 3), in `blocks` order. */
  blocks: string[];
  accuracies: number[];
}

/** Test accuracy with each shape-keeping block deleted in turn (y = x for that block). */
export function lesionSweep(run: LabRun): LesionSweep {
  const blocks = shapeKeepingBlocks(run);
  return {
    baselineAccuracy: run.evaluate().accuracy,
    blocks,
    accuracies: blocks.map((block) => withLesions(run.model, [block], () => run.evaluate().accuracy)),
  };
}

export interface LandscapeSlices {
  alphas: number[];
  /** losses[d][i]: held-out loss at θ + alphas[i]·d for direction d. */
  losses: number[][];
}

/**
 * Loss along `directions` filter-normalised random directions (Li et al. 2018 §4), on the first
 * `images` held-out images (one batch); direction d is drawn from seed + 1 + d, so a run and its
 * twin are cut along directions drawn the same way.
 */
export function landscapeSlices(run: LabRun, directions: number, points: number, range: number, images: number): LandscapeSlices {
  const alphas = linspace(-range, range, points);
  const batch = labBatch(run.data, run.data.test, Array.from({ length: Math.min(images, run.data.test.count) }, (_, i) => i));
  const losses = Array.from({ length: directions }, (_, d) => {
    const direction = filterNormalizedDirection(run.model, new Rng(run.settings.seed + 1 + d));
    return lossLandscape1d(run.model, direction, [batch], alphas, (output, b) => batchLoss(output, b.y)).map((p) => p.loss);
  });
  return { alphas, losses };
}

export interface FeatureReuseMap {
  block: string;
  /** normalized[target][source] as Huang et al. 2017 Fig. 5 colours it (NaN: no connection). */
  normalized: number[][];
}

export function featureReuseMaps(run: LabRun): FeatureReuseMap[] {
  return featureReuse(run.model, labBatch(run.data, run.data.test, [0, 1]).x).map((b) => ({ block: b.block, normalized: b.normalized }));
}

export interface GateMeans {
  layers: string[];
  /** Mean transform-gate value T(x) per layer over the held-out images (Srivastava et al. Fig. 2). */
  meanGate: number[];
  /** Per layer, the spread (standard deviation) of the per-image mean gate: routing that depends on the input. */
  spread: number[];
}

export function gateMeans(run: LabRun): GateMeans {
  const activity = highwayGateActivity(run.model, run.evalBatches[0]!.x);
  const std = (v: number[]): number => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
  };
  return { layers: activity.map((a) => a.layer), meanGate: activity.map((a) => a.meanGate), spread: activity.map((a) => std(a.perExample)) };
}

/**
 * Foreground IoU per held-out image (digit pixels predicted ∩ true over ∪; 1 when both are
 * empty), and the same for the boundary pixels only — those with a 4-neighbour of the other
 * class, where Ronneberger et al. 2015 §2 expect the long skips' high-resolution features to matter.
 */
export function segmentationOverlap(run: LabRun): { iou: number[]; boundaryAccuracy: number[] } {
  const iou: number[] = [];
  const boundaryAccuracy: number[] = [];
  withMode(run.model, false, () => noGrad(() => {
    for (const b of run.evalBatches) {
      const out = run.model.forward(b.x); // (N, 2, H, W)
      const [n, c, h, w] = out.shape as [number, number, number, number];
      const d = out.f32;
      const target = b.y.data;
      for (let i = 0; i < n; i++) {
        let inter = 0, union = 0, edge = 0, edgeHit = 0;
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
          const p = y * w + x;
          const predicted = c > 1 && d[(i * c + 1) * h * w + p]! > d[i * c * h * w + p]! ? 1 : 0;
          const truth = target[i * h * w + p]! > 0 ? 1 : 0;
          if (predicted && truth) inter++;
          if (predicted || truth) union++;
          const isEdge = [[0, 1], [1, 0], [0, -1], [-1, 0]].some(([dy, dx]) => {
            const yy = y + dy!, xx = x + dx!;
            return yy >= 0 && yy < h && xx >= 0 && xx < w && (target[i * h * w + yy * w + xx]! > 0 ? 1 : 0) !== truth;
          });
          if (isEdge) {
            edge++;
            if (predicted === truth) edgeHit++;
          }
        }
        iou.push(union === 0 ? 1 : inter / union);
        boundaryAccuracy.push(edge === 0 ? 1 : edgeHit / edge);
      }
    }
  }));
  return { iou, boundaryAccuracy };
}
