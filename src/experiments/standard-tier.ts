import { RECIPES, type TrainConfigInput } from '../train/config.js';

/**
 * Epochs of the standard tier: 2 passes over the 60,000 official images (938 steps of 128) with
 * the ÷10 drops. A step costs 0.30 CPU-s for ResNet-20 and 0.88 for ResNet-56 (native backend,
 * one thread per job, as the local executor runs two jobs on two cores), so 3 seeds of
 * plain/ResNet-20 and -56 (degradation) train in about 55 minutes on 2 cores, and the six
 * ResNet-56 nets of lesion and paths in about 41 (scaled from timed steps, not timed end to end).
 */
export const STANDARD_EPOCHS = 2;

/** Seeds of the standard tier: three, so every verdict has a 95 % t-interval. */
export const STANDARD_SEEDS: readonly number[] = [0, 1, 2];

/**
 * The standard tier's training recipe, shared by every experiment that has the tier (degradation,
 * lesion, paths): He et al. 2015 §4.2's CIFAR recipe — SGD 0.1, momentum 0.9, weight decay 1e-4,
 * batch 128, ÷10 at 50 % and 75 % of the steps — cut to `STANDARD_EPOCHS` epochs on the whole
 * official training set, without warm-up and without augmentation.
 */
export const STANDARD_RECIPE = {
  ...RECIPES['he-cifar'],
  epochs: STANDARD_EPOCHS,
  warmupEpochs: 0,
  augment: 'none',
} as const satisfies Partial<TrainConfigInput>;
