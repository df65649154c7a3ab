import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { crossEntropy } from '../autograd/functions/cross-entropy.js';
import { padCropFlip, randomCrop } from '../data/augment.js';
import type { DataSource } from '../data/data-source.js';
import type { ChannelStats, ImageDataset } from '../data/dataset.js';
import { loadDigitSegmentation } from '../data/digit-segmentation.js';
import { DataLoader } from '../data/loader.js';
import { loadImageDataset, type DatasetShape } from '../data/registry.js';
import { encodeSafetensors } from '../io/safetensors.js';
import { createModel } from '../models/registry.js';
import type { SkipModel } from '../models/skip-model.js';
import { BatchNorm1d, BatchNorm2d } from '../nn/layers/batch-norm.js';
import type { Module } from '../nn/module.js';
import { Adam, AdamW } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { Rng } from '../tensor/rng.js';
import { ConfigError, type TrainConfig } from './config.js';
import { balancedSubset } from './datasets.js';
import { pixelCrossEntropy } from './losses.js';
import { modelOptionsForData } from './model-input.js';
import { RunStoreError, type RunDirectory } from './run-store.js';
import { learningRateSchedule } from './schedules.js';
import { TensorBoardCallback } from './tensorboard-callback.js';
import { Trainer, type TrainerCallback, type TrainResult } from './trainer.js';

export interface PreparedRun {
  model: Module;
  optimizer: Optimizer;
  trainer: Trainer;
  train: DataLoader;
  /** Null for segmentation, whose quality a measurement scores from the weight snapshots. */
  test: DataLoader | null;
  parameterCount: number;
  /** The files of the training split (null for data not read from files). */
  trainSource: DataSource | null;
}

export interface RunData {
  /** The training images the run sees (the seeded subset when the config asks for one). */
  train: ImageDataset;
  /** The test images it is evaluated on (the first `testSubset` when given). */
  test: ImageDataset;
  /** Per-channel statistics of the full training split, which normalise every batch. */
  stats: ChannelStats;
  /** The files of the training split (null for data composed in memory). */
  source: DataSource | null;
}

/**
 * The data a config describes: the same subsets and normalisation for the training run and for
 * every measurement that later reads its weights.
 */
export function loadRunData(config: TrainConfig): RunData {
  if (config.dataset === 'digit-segmentation') {
    const canvases = { size: 64, minDigits: 1, maxDigits: 3, labels: 'digit' as const, ...config.segmentation };
    const train = loadDigitSegmentation('train', { ...canvases, count: config.trainSubset ?? 2000 });
    const test = loadDigitSegmentation('test', { ...canvases, count: config.testSubset ?? 500 });
    return { train, test, stats: train.channelStats(), source: null };
  }
  const dataOptions = { dataDir: config.dataDir, imageTransform: { size: config.imageSize } };
  const fullTrainSet = loadImageDataset(config.dataset, 'train', dataOptions);
  const train = config.trainSubset ? balancedSubset(fullTrainSet, config.trainSubset, config.seed) : fullTrainSet;
  let test = loadImageDataset(config.dataset, 'test', dataOptions);
  if (config.testSubset && config.testSubset < test.count) test = test.subset(Array.from({ length: config.testSubset }, (_, i) => i));
  // Normalise with the statistics of the full training split (fixed per dataset, not per subset).
  return { train, test, stats: fullTrainSet.channelStats(), source: fullTrainSet.source };
}

/**
 * The model a config describes, shaped for its data (channels, classes and image size go to the
 * options the model takes; see model-input.ts). With `batchNorm: false` every batch norm passes
 * its input through. An unknown model or a bad option is the config's fault: a ConfigError.
 */
export function buildRunModel(config: TrainConfig, data: DatasetShape, rng: Rng): SkipModel {
  const options = modelOptionsForData(config.model, config.modelOptions, data);
  let model: SkipModel;
  try {
    model = createModel(config.model, { ...options, rng });
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError) throw error;
    throw new ConfigError(`config model '${config.model}' with options ${JSON.stringify(config.modelOptions)}: ${(error as Error).message}`);
  }
  if (config.batchNorm === false) {
    for (const m of model.modules()) if (m instanceof BatchNorm2d || m instanceof BatchNorm1d) m.registerForwardHook((_m, input) => input);
  }
  return model;
}

/**
 * Build everything a config describes — data, model, optimiser, schedule — from one seed: the
 * model's initialisation, the loader's shuffling and augmentation, and in-model randomness each
 * get their own stream split from it, so a seed and a config always give the same run.
 */
export function prepareRun(config: TrainConfig, options: { run?: RunDirectory; callbacks?: TrainerCallback[] } = {}): PreparedRun {
  const seeds = new Rng(config.seed);
  const modelRng = seeds.fork();
  const loaderRng = seeds.fork();
  const trainingRng = seeds.fork();
  const data = loadRunData(config);
  const segmentation = data.train.masks !== null;
  const augment = config.augment === 'pad-crop-flip' ? padCropFlip(4) : config.augment === 'pad-crop' ? randomCrop({ padding: 4 }) : null;
  const train = new DataLoader(data.train, { batchSize: config.batchSize, shuffle: true, rng: loaderRng, normalize: data.stats, augment });
  const test = segmentation ? null : new DataLoader(data.test, { batchSize: 500, normalize: data.stats });
  const model = buildRunModel(config, data.train, modelRng);
  const params = model.parameters();
  const optimizer: Optimizer = config.optimizer === 'sgd'
    ? new SGD(params, { lr: config.lr, momentum: config.momentum, nesterov: config.nesterov, weightDecay: config.weightDecay })
    : config.optimizer === 'adam'
      ? new Adam(params, { lr: config.lr, weightDecay: config.weightDecay })
      : new AdamW(params, { lr: config.lr, weightDecay: config.weightDecay });
  const schedule = learningRateSchedule(config, train.batchesPerEpoch);
  const loss = segmentation ? pixelCrossEntropy
    : config.labelSmoothing > 0 ? (out: Parameters<typeof crossEntropy>[0], batch: { y: Parameters<typeof crossEntropy>[1] }) => crossEntropy(out, batch.y, { labelSmoothing: config.labelSmoothing })
      : undefined;
  const trainer = new Trainer({
    model, optimizer, train, test, epochs: config.epochs, schedule, rng: trainingRng, loss,
    clipGradNorm: config.clipGradNorm, callbacks: options.callbacks, run: options.run, logEverySteps: config.logEverySteps, evalEverySteps: config.evalEverySteps,
    precision: config.precision,
    // Slices of a training batch reuse the training step's pooled buffers.
    evaluationSlice: config.batchSize,
  });
  return { model, optimizer, trainer, train, test, parameterCount: model.parameterCount(), trainSource: data.source };
}

/** Whether a config keeps the weights after `epoch` epochs (0: at initialisation). */
export function keepsWeightsAt(config: TrainConfig, epoch: number): boolean {
  if (!config.weightSnapshots) return false;
  return config.weightSnapshots === 'every-epoch' || epoch === 0 || epoch === config.epochs;
}

/** Write the model's weights after `epoch` epochs into the run folder (holding its lock). */
function saveWeights(run: RunDirectory, model: Module, epoch: number): void {
  const path = run.weightsPath(epoch);
  mkdirSync(dirname(path), { recursive: true });
  run.writeRunFile(path, encodeSafetensors(model.stateDict()));
}

export interface RunOutcome extends TrainResult {
  parameterCount: number;
  resumed: boolean;
}

/**
 * Train a config to the end, in a run folder when given: holding the folder's lock, resuming
 * from its checkpoint if it has one, keeping the weight snapshots the config asks for, then
 * writing summary.json. Nothing is written when the run
 * folder is refused (held by another process, a different config, metrics that do not match the
 * checkpoint, a damaged checkpoint).
 */
export async function runTraining(config: TrainConfig, options: { run?: RunDirectory; callbacks?: TrainerCallback[] } = {}): Promise<RunOutcome> {
  const run = options.run;
  const lock = run ? await run.lock() : null;
  try {
    if (run && !run.hasCheckpoint() && run.isComplete()) {
      throw new RunStoreError(`${run.summaryPath}: the run is complete but ${run.checkpointPath} is missing; refusing to train it again over its results`);
    }
    // A run folder also gets TensorBoard event files in RUN_DIR/tb (so `tensorboard --logdir runs/` shows a sweep).
    const tensorboard = run ? new TensorBoardCallback() : null;
    // The weight snapshots the config asks for, written as epochs end.
    const snapshots: TrainerCallback[] = run && config.weightSnapshots
      ? [{ onEpoch: (report, trainer) => void (keepsWeightsAt(config, report.epoch + 1) && saveWeights(run, trainer.options.model, report.epoch + 1)) }]
      : [];
    const prepared = prepareRun(config, { ...options, callbacks: [...snapshots, ...(options.callbacks ?? []), ...(tensorboard ? [tensorboard] : [])] });
    // config.json records the data the run trained on (official files or a stand-in, by hash).
    run?.initialize({ ...config, data: prepared.trainSource });
    const resumed = prepared.trainer.resume();
    // A snapshot missed by a crash between checkpoint and snapshot: the checkpoint's weights are that epoch's.
    if (run && keepsWeightsAt(config, prepared.trainer.epoch) && !run.hasWeights(prepared.trainer.epoch)) saveWeights(run, prepared.model, prepared.trainer.epoch);
    const alreadyComplete = resumed && prepared.trainer.epoch >= config.epochs && run!.isComplete();
    const started = performance.now();
    try {
      const result = await prepared.trainer.fit();
      const last = result.epochs[result.epochs.length - 1];
      // A complete run resumed has nothing to add: its summary stays as written.
      if (run && !alreadyComplete) {
        run.writeSummary({
          status: 'complete', epochs: result.epochs.length, steps: result.steps, seconds: (performance.now() - started) / 1000,
          parameterCount: prepared.parameterCount,
          final: last ? { trainLoss: last.trainLoss, trainError: last.trainError, testLoss: last.testLoss, testError: last.testError } : null,
        });
      }
      return { ...result, parameterCount: prepared.parameterCount, resumed };
    } catch (error) {
      if (run && !run.isComplete()) {
        run.writeSummary({ status: 'failed', epochs: prepared.trainer.epoch, steps: prepared.trainer.step, seconds: (performance.now() - started) / 1000, error: (error as Error).message });
      }
      throw error;
    } finally {
      tensorboard?.close();
    }
  } finally {
    await lock?.release();
  }
}
