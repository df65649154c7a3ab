import { RECIPES, type TrainConfigInput } from '../train/config.js';

/**
 * The standard tier's budget: 4 passes over the 60,000 official images (1,876 steps of 128, ÷10
 * at 50 % and 75 %) with stages of 8/16/32 channels. The paper's 16/32/64 cost three times as
 * much per image; four epochs at width 8 converge further than two at width 16 for less, and
 * scripts/calibration/degradation_standard.py and lesion_standard.py train the same recipe in
 * PyTorch. Degradation's 12
 * runs (3 seeds of plain/ResNet-20 and -56) and the six ResNet-56 nets of lesion and paths each
 * take about an hour on 2 cores (the local executor runs two one-thread jobs at a time).
 */
export const STANDARD_EPOCHS = 4;

/** First-stage width of the standard tier's CIFAR ResNets and plain twins (stages of 8/16/32 channels). */
export const STANDARD_WIDTH = 8;

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
