import { z } from 'zod';
import { dataSourceSchema } from '../data/data-source.js';
import { DATASET_NAMES } from '../data/registry.js';
import { UserInputError } from '../util/errors.js';
import { describeIssues } from '../util/zod-issues.js';
import { warmupConflict } from './schedules.js';

/**
 * Everything that defines a training run, validated with zod so a wrong field is an error with
 * its path. The same config drives `skiplab train`, experiment runs and queue workers, and is
 * what `config.json` in a run folder holds.
 */
export const trainConfigSchema = z.strictObject({
  model: z.string().min(1),
  /** Options for `createModel` (depth, skip, …); validated by the registry. */
  modelOptions: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).default({}),
  /**
   * A named image dataset, or 'digit-segmentation': the U-Net set composed from MNIST digits
   * (per-pixel labels; its canvases are described by `segmentation`, and the subsets give the canvas counts).
   */
  dataset: z.enum([...DATASET_NAMES, 'digit-segmentation']),
  /** The dataset's folder: the idx files of (Fashion-)MNIST (searched for when absent), the CIFAR-10 binary batches or the class folders of 'folder' (required for both). */
  dataDir: z.string().optional(),
  /** Side the images of a 'folder' dataset are resized and centre-cropped to (default 32). */
  imageSize: z.number().int().positive().optional(),
  /** The files the run was trained on, recorded by the trainer (kind, folder, SHA-256s; docs/datasets.md). */
  data: dataSourceSchema.nullable().optional(),
  /** Train on a seeded, class-balanced subset of this many training images. */
  trainSubset: z.number().int().positive().optional(),
  /** Evaluate on the first this-many test images (class order is mixed in all three sets). */
  testSubset: z.number().int().positive().optional(),
  /** Canvases of the digit-segmentation set (side in pixels, digits per canvas, binary or per-digit labels). */
  segmentation: z.strictObject({
    size: z.number().int().min(28).default(64),
    minDigits: z.number().int().positive().default(1),
    maxDigits: z.number().int().positive().default(3),
    labels: z.enum(['digit', 'binary']).default('digit'),
  }).optional(),
  epochs: z.number().int().positive(),
  batchSize: z.number().int().positive().default(128),
  optimizer: z.enum(['sgd', 'adam', 'adamw']).default('sgd'),
  lr: z.number().positive().default(0.1),
  momentum: z.number().min(0).max(1).default(0.9),
  nesterov: z.boolean().default(false),
  weightDecay: z.number().min(0).default(1e-4),
  /** 'step' divides by 10 at 50 % and 75 % of training (He et al. 2015 §4.2, scaled). */
  schedule: z.enum(['constant', 'step', 'cosine']).default('cosine'),
  /** A linear ramp from a tenth of `lr` to `lr` over this many epochs before the schedule. */
  warmupEpochs: z.number().min(0).default(0),
  /**
   * A constant rate for the first `steps` steps, then the schedule as if it had run all along
   * (its drops stay at 50 % and 75 % of the steps). He et al. 2015 §4.2 train ResNet-110 at 0.01
   * "until the training error is below 80 % (about 400 iterations), and then go back to 0.1".
   * Not together with `warmupEpochs`.
   */
  constantWarmup: z.strictObject({ lr: z.number().positive(), steps: z.number().int().positive() }).optional(),
  augment: z.enum(['none', 'pad-crop-flip', 'pad-crop']).default('none'),
  labelSmoothing: z.number().min(0).max(1).default(0),
  clipGradNorm: z.number().positive().optional(),
  seed: z.number().int().nonnegative().default(0),
  /** Write a step record to metrics.jsonl every this many steps (0: epochs only). */
  logEverySteps: z.number().int().nonnegative().default(0),
  /** Evaluate on the test set every this many steps as well (0: at epoch ends only). */
  evalEverySteps: z.number().int().nonnegative().default(0),
  /**
   * Keep the model's weights as `weights/epoch-<e>.safetensors` in the run folder: 'ends' at
   * initialisation and after the last epoch, 'every-epoch' also in between. Measurements read
   * these (weight drift needs the initial weights, gradient flow every epoch's).
   */
  weightSnapshots: z.enum(['ends', 'every-epoch']).optional(),
  /**
   * false: every batch norm passes its input through unchanged (the plain net without
   * normalisation of Ioffe & Szegedy 2015's comparison); the layers stay, so the state dict keeps
   * its names.
   */
  batchNorm: z.boolean().optional(),
  /** Operand precision of convolutions and matrix products: 'bf16' is mixed precision with FP32 master weights (absent: FP32). */
  precision: z.enum(['fp32', 'bf16']).optional(),
});

export type TrainConfig = z.infer<typeof trainConfigSchema>;

/**
 * Named recipes a user can start from (PyTorch users know these as "the CIFAR recipe").
 * `he-cifar`: He et al. 2015 §4.2 — SGD with momentum 0.9, weight decay 1e-4, lr 0.1, batch 128,
 * ÷10 at 32k and 48k of 64k iterations (here: at 50 % and 75 % of the steps, 164 epochs of
 * 50k images ≈ 64k iterations), 4-pixel pad, random crop and horizontal flip.
 */
export const RECIPES = {
  'he-cifar': {
    optimizer: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-4, batchSize: 128, schedule: 'step', augment: 'pad-crop-flip', epochs: 164,
  },
} as const satisfies Record<string, Partial<z.input<typeof trainConfigSchema>>>;

export type RecipeName = keyof typeof RECIPES;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

export class ConfigError extends UserInputError {
  override name = 'ConfigError';
}

/** Validate a config; the error lists every wrong field by its path. */
export function parseTrainConfig(input: unknown, source = 'config'): TrainConfig {
  const result = trainConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(`${source} is invalid: ${describeIssues(result.error.issues)}`);
  if (result.data.dataset === 'cifar10' && !result.data.dataDir) {
    throw new ConfigError(`${source} is invalid: dataDir: CIFAR-10 needs the folder holding data_batch_1.bin … data_batch_5.bin and test_batch.bin`);
  }
  const warmups = warmupConflict(result.data);
  if (warmups) throw new ConfigError(`${source} is invalid: ${warmups}`);
  if (result.data.dataset === 'folder' && !result.data.dataDir) {
    throw new ConfigError(`${source} is invalid: dataDir: 'folder' needs the folder of class folders (one per class, PNG/JPEG images inside)`);
  }
  return result.data;
}
