import type { DatasetName } from '../../data/registry.js';
import { trainConfigSchema, type TrainConfig, type TrainConfigInput } from '../../train/config.js';
import type { ModelSource } from '../jobs.js';
import { parseExperimentSpec, type ExperimentSpec, type ExperimentSpecInput } from '../spec.js';
import { STANDARD_RECIPE, STANDARD_WIDTH } from '../standard-tier.js';

/**
 * Quick: minutes on 2 cores (tiny subsets, narrow nets). Standard: about an hour on 2 cores, the
 * paper's net on the whole official training set with the standard tier's short recipe (only the
 * experiments in `STANDARD_EXPERIMENTS` have it). Full: paper-like sizes.
 */
export type AnalysisMode = 'quick' | 'standard' | 'full';

/**
 * A value for each tier. An experiment without a standard tier leaves `standard` out (and
 * `analysisPlan` refuses to plan it in that mode); a present `standard` may itself be undefined
 * where undefined means "the whole set".
 */
export interface PerTier<T> {
  quick: T;
  standard?: T;
  full: T;
}

/** Weights trained elsewhere (`--weights FILE --model NAME`), analysed without a training step. */
export interface GivenWeights {
  /** Absolute path of the safetensors file (a state dict, or a skiplab checkpoint or snapshot). */
  file: string;
  sha256: string;
  model: string;
  modelOptions: Record<string, string | number | boolean>;
}

/** What every analysis experiment takes from the command line; each flag applies to all of them or is refused. */
export interface AnalysisSettings {
  mode: AnalysisMode;
  dataset: DatasetName;
  /** CIFAR-10 binary batches folder (needed for dataset cifar10). */
  dataDir?: string;
  /** Each seed trains its own models and repeats every measurement. */
  seeds: number[];
  /** Override the number of training epochs of every run. */
  epochs?: number;
  /** Override the training-subset size of every run. */
  trainSubset?: number;
  /** Analyse these weights instead of training (lesion, paths, representations, landscape, gradient-flow). */
  weights?: GivenWeights;
  /**
   * Smaller measurements and models than the mode's (tests): keys such as `depth`, `width`,
   * `testSubset`, `grid`, `images`, documented by each experiment.
   */
  sizes?: Readonly<Record<string, number>>;
}

/** The value of `mode`; an error when the experiment defines no value for that tier. */
export function pick<T>(mode: AnalysisMode, values: PerTier<T>): T {
  if (!(mode in values)) throw new Error(`analysis: no ${mode} value (this experiment has no ${mode} tier)`);
  return values[mode] as T;
}

/** A size: the test override if given, else the mode's value. */
export function size(settings: AnalysisSettings, key: string, values: PerTier<number>): number {
  return settings.sizes?.[key] ?? pick(settings.mode, values);
}

/**
 * The one recipe every analysis model trains with (so twins differ only in their skips): SGD with
 * momentum 0.9, weight decay 5e-4, a cosine learning rate from 0.05, batches of 64, no
 * augmentation — a training config like any other, so `runTraining` builds it. The standard tier
 * trains with the standard recipe instead (`STANDARD_RECIPE`, degradation's: He et al. 2015
 * §4.2's, cut to 4 epochs at width 8), so its nets are trained as the degradation experiment's are.
 */
export function analysisRecipe(settings: AnalysisSettings, base: { epochs: number; trainSubset: number | undefined; testSubset: number } & Partial<TrainConfigInput>): Partial<TrainConfigInput> {
  const recipe: Partial<TrainConfigInput> = settings.mode === 'standard'
    ? STANDARD_RECIPE
    : { optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', batchSize: 64, augment: 'none' };
  return {
    dataset: settings.dataset, dataDir: settings.dataDir,
    ...recipe,
    ...base,
    epochs: settings.epochs ?? base.epochs,
    trainSubset: settings.trainSubset ?? base.trainSubset,
  };
}

/** A training spec of the analysis lab, named by what it trains and on what (folders are shared between experiments). */
export function trainingSpec(settings: AnalysisSettings, name: string, input: Omit<ExperimentSpecInput, 'name' | 'seeds' | 'kind'>): ExperimentSpec {
  const base = input.base ?? {};
  const folder = `${name}-${settings.mode}-${base.dataset ?? settings.dataset}-n${base.trainSubset ?? 'all'}-t${base.testSubset}-e${base.epochs}`;
  return parseExperimentSpec({ ...input, name: folder, kind: 'training', seeds: settings.seeds }, `${name} training spec`);
}

/**
 * Test images the standard tier evaluates and lesions the twins on (the first of the official
 * 10,000). Sized for the hour: an evaluation costs about 3 CPU-ms per image for ResNet-56, so
 * lesion's 26 single-deletion and 2 × 25 random-deletion evaluations per model and seed take
 * about 11 minutes on 2 cores, beside about 41 for training the six nets and 5 for paths
 * (measured per step and scaled, not timed end to end; docs/analysis.md).
 */
export const STANDARD_TEST_IMAGES = 1000;

/**
 * Sizes of the CIFAR ResNet twins shared by lesion, landscape, representations, paths, feature
 * reuse and identity construction. Standard: ResNet-56 (He et al. 2015 §4.2, width 16) on the
 * whole official training set for `STANDARD_EPOCHS`, measured on the first `STANDARD_TEST_IMAGES`
 * test images (sized so lesion and paths together fit about an hour on 2 cores).
 */
export function twinSizes(settings: AnalysisSettings): { depth: number; width: number; trainSubset: number | undefined; testSubset: number; epochs: number } {
  return {
    depth: size(settings, 'depth', { quick: 20, standard: 56, full: 56 }), width: size(settings, 'width', { quick: 8, standard: STANDARD_WIDTH, full: 16 }),
    trainSubset: settings.sizes?.trainSubset ?? pick<number | undefined>(settings.mode, { quick: 2048, standard: undefined, full: 60000 }),
    testSubset: size(settings, 'testSubset', { quick: 256, standard: STANDARD_TEST_IMAGES, full: 10000 }),
    epochs: size(settings, 'epochs', { quick: 4, standard: STANDARD_RECIPE.epochs, full: 30 }),
  };
}

/**
 * The residual CIFAR ResNet and its plain twin (option A shortcuts), trained with one recipe
 * (`analysisRecipe`), keeping their initial and final weights: one training spec, grid over the skip.
 */
export function twinsSpec(settings: AnalysisSettings): ExperimentSpec {
  const s = twinSizes(settings);
  return trainingSpec(settings, `resnet${s.depth}-w${s.width}-twins`, {
    description: 'CIFAR ResNet and its plain twin, trained with one recipe (the analysis recipe; the standard recipe in standard mode); measured by lesion, landscape, representations, paths, feature reuse and identity construction.',
    base: { model: 'resnet_cifar', modelOptions: { depth: s.depth, baseWidth: s.width }, weightSnapshots: 'ends', ...analysisRecipe(settings, { epochs: s.epochs, trainSubset: s.trainSubset, testSubset: s.testSubset }) },
    grid: { 'modelOptions.skip': ['identity', 'none'] },
  });
}

/** The id of a twin run in `twinsSpec`. */
export const twinRun = (skip: 'identity' | 'none', seed: number): string => `skip-${skip}_seed-${seed}`;

/**
 * The source of given weights: a config naming the model and the data it is measured on (the
 * twins' subsets of the chosen dataset), and the file pinned by its hash.
 */
export function givenSource(settings: AnalysisSettings, seed: number): ModelSource {
  const given = settings.weights!;
  const s = twinSizes(settings);
  const config: TrainConfig = trainConfigSchema.parse({
    model: given.model, modelOptions: given.modelOptions, dataset: settings.dataset, dataDir: settings.dataDir,
    trainSubset: settings.trainSubset ?? s.trainSubset, testSubset: s.testSubset, epochs: 1, seed,
  });
  return { label: 'given', config, weights: { file: given.file, sha256: given.sha256 } };
}
