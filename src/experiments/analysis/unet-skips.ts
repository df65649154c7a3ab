import { z } from 'zod';
import { noGrad } from '../../autograd/no-grad.js';
import type { SkipModel } from '../../models/skip-model.js';
import type { Tensor } from '../../tensor/tensor.js';
import { segmentationScores } from '../../train/metrics.js';
import { defineStep, measureJob } from '../measurement.js';
import type { ExperimentPlan } from '../plan.js';
import { segmentationScoresSchema, unetSkipsResultsSchema } from '../results/unet-skips.js';
import { analysisSpec, epochHistory, fixedBatches, plannedRun, resultsHeader } from './common.js';
import { analysisRecipe, size, trainingSpec, type AnalysisSettings } from './settings.js';

/**
 * U-Net with vs without its long skips (Ronneberger et al. 2015 §2) on the digit-segmentation
 * set: IoU and Dice per epoch, accuracy on boundary pixels, and predicted masks of a few test
 * canvases for the report. Both nets are ordinary training runs keeping every epoch's weights;
 * each (net, epoch) is a shard.
 */

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

const pixelsOf = (values: Uint8Array, index: number, pixels: number): number[] => Array.from(values.subarray(index * pixels, (index + 1) * pixels));

export const unetEpochStep = defineStep({
  name: 'unet-epoch',
  params: z.strictObject({ epoch: z.number().int().positive(), shown: z.number().int().nonnegative() }),
  result: segmentationScoresSchema.extend({
    masks: z.array(z.array(z.number().int())),
    examples: z.array(z.strictObject({ image: z.array(z.number().int()), target: z.array(z.number().int()) })),
  }),
  async run(context, { epoch, shown }) {
    const model = await context.model('model');
    const { test, stats } = context.data('model');
    const batches = fixedBatches(test, stats, 48);
    const predicted = Uint8Array.from(batches.flatMap((b) => Array.from(predictMasks(model, b.x))));
    const target = Uint8Array.from(batches.flatMap((b) => Array.from(b.y.data)));
    const scores = segmentationScores(predicted, target, 2);
    const boundary = boundaryPixels(target, test.count, test.height, test.width);
    // Correct and total pixels, on boundaries [0] and in the interior [1].
    const hit = [0, 0];
    const total = [0, 0];
    boundary.forEach((isEdge, i) => {
      const where = isEdge ? 0 : 1;
      total[where]!++;
      if (predicted[i] === target[i]) hit[where]!++;
    });
    const pixels = test.height * test.width;
    return {
      epoch, iou: scores.meanIou, dice: scores.meanDice, foregroundIou: scores.iou[1]!, boundaryAccuracy: hit[0]! / total[0]!, interiorAccuracy: hit[1]! / total[1]!,
      masks: Array.from({ length: shown }, (_, i) => pixelsOf(predicted, i, pixels)),
      examples: Array.from({ length: shown }, (_, i) => ({ image: pixelsOf(test.images, i, pixels), target: pixelsOf(test.masks!, i, pixels) })),
    };
  },
});

export function unetSkipsPlan(settings: AnalysisSettings): ExperimentPlan {
  const spec = analysisSpec(settings, 'unet-skips', 'Ronneberger et al. 2015: U-Net with and without its long skip connections on digit segmentation.');
  const canvas = size(settings, 'size', { quick: 36, full: 64 });
  const levels = size(settings, 'levels', { quick: 2, full: 4 });
  const shown = 4;
  const training = trainingSpec(settings, `unet-l${levels}`, {
    description: 'U-Net and its plain twin (no long skips) on digit segmentation, trained with the analysis recipe, keeping every epoch\'s weights.',
    base: {
      model: 'unet', modelOptions: { levels, baseWidth: size(settings, 'width', { quick: 8, full: 32 }), oddSizes: 'pad' }, weightSnapshots: 'every-epoch',
      ...analysisRecipe(settings, { epochs: size(settings, 'epochs', { quick: 4, full: 20 }), trainSubset: size(settings, 'trainSubset', { quick: 384, full: 4000 }), testSubset: size(settings, 'testSubset', { quick: 96, full: 500 }), batchSize: 32 }),
      dataset: 'digit-segmentation', dataDir: undefined, segmentation: { size: canvas, minDigits: 1, maxDigits: 2, labels: 'binary' },
    },
    grid: { 'modelOptions.skip': ['concat', 'none'] },
  });
  const epochs = training.base.epochs!;
  const shard = (seed: number, skip: string, epoch: number) => `seed-${seed}_${skip}_epoch-${epoch}`;
  const name = (skip: 'concat' | 'none') => (skip === 'none' ? 'U-Net without long skips' : 'U-Net');
  return {
    spec,
    training: [{ spec: training }],
    measurements: (context) => settings.seeds.flatMap((seed) => (['concat', 'none'] as const).flatMap((skip) => Array.from({ length: epochs }, (_, e) => measureJob(spec.name, unetEpochStep, shard(seed, skip, e + 1),
      { model: context.runSource(training, plannedRun(training, `skip-${skip}_seed-${seed}`), name(skip), e + 1) }, { epoch: e + 1, shown: e + 1 === epochs ? shown : 0 })))),
    results: {
      schema: unetSkipsResultsSchema,
      assemble: (context) => ({
        ...resultsHeader('unet-skips', settings, context),
        seeds: settings.seeds.map((seed) => {
          const models = (['concat', 'none'] as const).map((skip) => {
            const run = context.run(training, `skip-${skip}_seed-${seed}`);
            const history = epochHistory(run);
            const scores = Array.from({ length: epochs }, (_, e) => context.shard(unetEpochStep, shard(seed, skip, e + 1)).result);
            return {
              name: name(skip), skip, parameters: Number(run.readSummary()?.parameterCount ?? 0),
              epochs: scores.map(({ masks: _m, examples: _e, ...s }, e) => ({ ...s, trainLoss: history[e]!.trainLoss })),
              masks: scores[scores.length - 1]!.masks,
            };
          });
          return { seed, size: canvas, levels, models, examples: context.shard(unetEpochStep, shard(seed, 'concat', epochs)).result.examples };
        }),
      }),
    },
  };
}
