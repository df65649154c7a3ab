import type { DatasetName } from '../data/registry.js';
import { RECIPES, type TrainConfigInput } from '../train/config.js';
import type { ExperimentSpecInput } from './spec.js';
import { parseExperimentSpec, SpecError, type ExperimentSpec } from './spec.js';
import { STANDARD_RECIPE, STANDARD_SEEDS, STANDARD_WIDTH } from './standard-tier.js';

/** Training images of the quick tier: small enough that two seeds of all six nets finish within 5 minutes on 2 cores. */
export const QUICK_TRAIN_SUBSET = 4000;

/** The full tier's warm-up of the 110-layer nets (He et al. 2015 §4.2): lr 0.01 for 400 iterations, then 0.1. */
export const DEPTH_110_WARMUP = { lr: 0.01, steps: 400 } as const;

export interface DegradationOptions {
  mode: 'quick' | 'standard' | 'full';
  /** Depths 6n + 2 to compare (quick: 8, 20, 44; full: 20, 32, 44, 56, 110). */
  depths?: number[];
  dataset?: DatasetName;
  /** The dataset's folder (without --dataset, a folder means the CIFAR-10 binary batches). */
  dataDir?: string;
  seeds?: number[];
  /** Override the number of epochs. */
  epochs?: number;
  /** Override the training-subset size (quick mode). */
  trainSubset?: number;
  /** Operand precision of convolutions ('bf16': mixed precision; the store keeps its runs apart). */
  precision?: 'fp32' | 'bf16';
}

/**
 * The recipe of each tier: He et al.'s CIFAR recipe throughout, with its ÷10 drops at 50 % and
 * 75 % of the steps. Quick mode trains 4 epochs on a subset in batches of 64 (252 steps) after a
 * short warm-up; full mode is the paper's (160 epochs, pad-crop-flip augmentation).
 */
const DEGRADATION_RECIPES = {
  quick: { ...RECIPES['he-cifar'], epochs: 4, batchSize: 64, warmupEpochs: 0.25, augment: 'none' },
  standard: STANDARD_RECIPE,
  full: { ...RECIPES['he-cifar'], epochs: 160, warmupEpochs: 0 },
} as const satisfies Record<DegradationOptions['mode'], Partial<TrainConfigInput> & { epochs: number }>;

/**
 * The degradation experiment (He et al. 2015, Fig. 1 and 6): plain and residual CIFAR-style nets
 * (3 stages of 16/32/64 channels, option A shortcuts, batch norm) at several depths, trained with
 * one recipe — He et al.'s §4.2: SGD 0.1, momentum 0.9, weight decay 1e-4, batch 128, ÷10 at
 * 50 % and 75 % of the steps (the standard tier's `STANDARD_RECIPE`; in the full tier the
 * 110-layer nets start at 0.01 for 400 steps, as in §4.2). The claim: the deepest plain net ends
 * with a HIGHER training error than the shallow one, and its residual twin does not.
 *
 * Quick mode is the standard tier's nets (stages of 8/16/32 channels) cut down to minutes with two
 * seeds (one seed decides no verdict): a class-balanced 4,000-image subset of Fashion-MNIST, 4
 * epochs in batches of 64, depths 8/20/44, a short linear warm-up first (He et al. warm up their
 * 110-layer net the same way, §4.2: a deep residual net starts with large activations and 0.1 is
 * too large for its first steps). The budget was chosen by measuring four seeds: plain-44 ended
 * at 37–45 % training error against plain-8's 21–25 %, ResNet-44 at 19–20 % against ResNet-8's
 * 20–24 %. At the paper's width of 16 and 2 epochs, the same time bought too few steps for the
 * deep ResNet to catch up: ResNet-44 still lagged ResNet-8 by 2–4 points.
 */
export function degradationSpec(options: DegradationOptions): ExperimentSpec {
  const { mode } = options;
  const quick = mode === 'quick';
  const dataset = options.dataset ?? (options.dataDir ? 'cifar10' : 'fashion-mnist');
  const depths = options.depths ?? { quick: [8, 20, 44], standard: [20, 56], full: [20, 32, 44, 56, 110] }[mode];
  for (const d of depths) {
    if (!Number.isInteger(d) || d < 8 || (d - 2) % 6 !== 0) throw new SpecError(`degradation: depth ${d} is not of the form 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, 110, ...)`);
  }
  const recipe = DEGRADATION_RECIPES[mode];
  const input: ExperimentSpecInput = {
    name: `degradation-${mode}${options.precision === 'bf16' ? '-bf16' : ''}`,
    kind: 'degradation',
    description: 'He et al. 2015 Fig. 6: plain vs residual nets of growing depth, same recipe; training error (dashed) and test error (bold).',
    base: {
      model: 'resnet_cifar',
      ...(mode === 'full' ? {} : { modelOptions: { baseWidth: STANDARD_WIDTH } }),
      dataset,
      dataDir: options.dataDir,
      ...recipe,
      epochs: options.epochs ?? recipe.epochs,
      // Standard and full train on the whole official training set.
      trainSubset: quick ? (options.trainSubset ?? QUICK_TRAIN_SUBSET) : options.trainSubset,
      testSubset: quick ? 1000 : undefined,
      logEverySteps: quick ? 10 : 100,
      evalEverySteps: quick ? 50 : mode === 'standard' ? 200 : 1000,
      ...(options.precision === 'bf16' ? { precision: 'bf16' as const } : {}),
    },
    grid: { 'modelOptions.depth': depths, 'modelOptions.skip': ['identity', 'none'] },
    // He et al. 2015 §4.2: at depth 110 "0.1 is slightly too large to start converging", so "we use
    // 0.01 to warm up the training until the training error is below 80 % (about 400
    // iterations), and then go back to 0.1". A fixed 400 steps, for the plain twin as well, so
    // the two still differ only in the skip.
    ...(mode === 'full' && depths.includes(110) ? { overrides: [{ where: { 'modelOptions.depth': 110 }, set: { constantWarmup: DEPTH_110_WARMUP } }] } : {}),
    seeds: options.seeds ?? (quick ? [0, 1] : [...STANDARD_SEEDS]),
  };
  return parseExperimentSpec(input, 'degradation spec');
}
