import type { DatasetName } from '../../data/registry.js';
import { trainConfigSchema, type TrainConfig, type TrainConfigInput } from '../../train/config.js';
import type { ModelSource } from '../jobs.js';
import { parseExperimentSpec, type ExperimentSpec, type ExperimentSpecInput } from '../spec.js';

/** Quick: minutes on 2 cores (tiny subsets, narrow nets). Full: paper-like sizes. */
export type AnalysisMode = 'quick' | 'full';

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

export const pick = <T>(mode: AnalysisMode, quick: T, full: T): T => (mode === 'quick' ? quick : full);

/** A size: the test override if given, else the mode's value. */
export function size(settings: AnalysisSettings, key: string, quick: number, full: number): number {
  return settings.sizes?.[key] ?? pick(settings.mode, quick, full);
}

/**
 * The one recipe every analysis model trains with (so twins differ only in their skips): SGD with
 * momentum 0.9, weight decay 5e-4, a cosine learning rate from 0.05, batches of 64, no
 * augmentation — a training config like any other, so `runTraining` builds it.
 */
export function analysisRecipe(settings: AnalysisSettings, base: { epochs: number; trainSubset: number; testSubset: number } & Partial<TrainConfigInput>): Partial<TrainConfigInput> {
  return {
    dataset: settings.dataset, dataDir: settings.dataDir,
    optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', batchSize: 64, augment: 'none',
    ...base,
    epochs: settings.epochs ?? base.epochs,
    trainSubset: settings.trainSubset ?? base.trainSubset,
  };
}

/** A training spec of the analysis lab, named by what it trains and on what (folders are shared between experiments). */
export function trainingSpec(settings: AnalysisSettings, name: string, input: Omit<ExperimentSpecInput, 'name' | 'seeds' | 'kind'>): ExperimentSpec {
  const base = input.base ?? {};
  const folder = `${name}-${settings.mode}-${base.dataset ?? settings.dataset}-n${base.trainSubset}-t${base.testSubset}-e${base.epochs}`;
  return parseExperimentSpec({ ...input, name: folder, kind: 'training', seeds: settings.seeds }, `${name} training spec`);
}

/** Sizes of the CIFAR ResNet twins shared by lesion, landscape, representations, paths, feature reuse and identity construction. */
export function twinSizes(settings: AnalysisSettings): { depth: number; width: number; trainSubset: number; testSubset: number; epochs: number } {
  return {
    depth: size(settings, 'depth', 20, 56), width: size(settings, 'width', 8, 16),
    trainSubset: size(settings, 'trainSubset', 2048, 60000), testSubset: size(settings, 'testSubset', 256, 10000), epochs: size(settings, 'epochs', 4, 30),
  };
}

/**
 * The residual CIFAR ResNet and its plain twin (option A shortcuts), trained with the shared
 * recipe, keeping their initial and final weights: one training spec, grid over the skip.
 */
export function twinsSpec(settings: AnalysisSettings): ExperimentSpec {
  const s = twinSizes(settings);
  return trainingSpec(settings, `resnet${s.depth}-w${s.width}-twins`, {
    description: 'CIFAR ResNet and its plain twin, trained with the analysis recipe; measured by lesion, landscape, representations, paths, feature reuse and identity construction.',
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
