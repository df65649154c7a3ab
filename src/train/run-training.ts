import { padCropFlip, randomCrop } from '../data/augment.js';
import { DataLoader } from '../data/loader.js';
import { createModel } from '../models/registry.js';
import type { Module } from '../nn/module.js';
import { Adam, AdamW } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { crossEntropy } from '../autograd/functions/cross-entropy.js';
import { Rng } from '../tensor/rng.js';
import type { TrainConfig } from './config.js';
import { modelOptionsForData } from './model-input.js';
import { balancedSubset } from './datasets.js';
import type { DataSource } from '../data/data-source.js';
import { loadImageDataset } from '../data/registry.js';
import { RunStoreError, type RunDirectory } from './run-store.js';
import { constantLr, cosineLr, linearWarmup, multiStepLr, type LrSchedule } from './schedules.js';
import { TensorBoardCallback } from './tensorboard-callback.js';
import { Trainer, type TrainerCallback, type TrainResult } from './trainer.js';

export interface PreparedRun {
  model: Module;
  optimizer: Optimizer;
  trainer: Trainer;
  train: DataLoader;
  test: DataLoader;
  parameterCount: number;
  /** The files of the training split (null for data not read from files). */
  trainSource: DataSource | null;
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
  const dataOptions = { dataDir: config.dataDir, imageTransform: { size: config.imageSize } };
  const fullTrainSet = loadImageDataset(config.dataset, 'train', dataOptions);
  let trainSet = fullTrainSet;
  if (config.trainSubset) trainSet = balancedSubset(trainSet, config.trainSubset, config.seed);
  let testSet = loadImageDataset(config.dataset, 'test', dataOptions);
  if (config.testSubset && config.testSubset < testSet.count) testSet = testSet.subset(Array.from({ length: config.testSubset }, (_, i) => i));
  // Normalise with the statistics of the full training split (fixed per dataset, not per subset).
  const stats = fullTrainSet.channelStats();
  const augment = config.augment === 'pad-crop-flip' ? padCropFlip(4) : config.augment === 'pad-crop' ? randomCrop({ padding: 4 }) : null;
  const train = new DataLoader(trainSet, { batchSize: config.batchSize, shuffle: true, rng: loaderRng, normalize: stats, augment });
  const test = new DataLoader(testSet, { batchSize: 500, normalize: stats });
  const shape = { channels: trainSet.channels, height: trainSet.height, width: trainSet.width, numClasses: trainSet.numClasses };
  const model = createModel(config.model, { ...modelOptionsForData(config.model, config.modelOptions, shape), rng: modelRng });
  const params = model.parameters();
  const optimizer: Optimizer = config.optimizer === 'sgd'
    ? new SGD(params, { lr: config.lr, momentum: config.momentum, nesterov: config.nesterov, weightDecay: config.weightDecay })
    : config.optimizer === 'adam'
      ? new Adam(params, { lr: config.lr, weightDecay: config.weightDecay })
      : new AdamW(params, { lr: config.lr, weightDecay: config.weightDecay });
  const totalSteps = config.epochs * train.batchesPerEpoch;
  let schedule: LrSchedule =
    config.schedule === 'step' ? multiStepLr(config.lr, [Math.round(totalSteps * 0.5), Math.round(totalSteps * 0.75)])
      : config.schedule === 'cosine' ? cosineLr(config.lr, totalSteps)
        : constantLr(config.lr);
  if (config.warmupEpochs > 0) schedule = linearWarmup(schedule, Math.round(config.warmupEpochs * train.batchesPerEpoch));
  const trainer = new Trainer({
    model, optimizer, train, test, epochs: config.epochs, schedule, rng: trainingRng,
    loss: config.labelSmoothing > 0 ? (out, batch) => crossEntropy(out, batch.y, { labelSmoothing: config.labelSmoothing }) : undefined,
    clipGradNorm: config.clipGradNorm, callbacks: options.callbacks, run: options.run, logEverySteps: config.logEverySteps, evalEverySteps: config.evalEverySteps,
  });
  return { model, optimizer, trainer, train, test, parameterCount: model.parameterCount(), trainSource: fullTrainSet.source };
}

export interface RunOutcome extends TrainResult {
  parameterCount: number;
  resumed: boolean;
}

/**
 * Train a config to the end, in a run folder when given: holding the folder's lock, resuming
 * from its checkpoint if it has one, then writing summary.json. Nothing is written when the run
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
    const prepared = prepareRun(config, { ...options, callbacks: [...(options.callbacks ?? []), ...(tensorboard ? [tensorboard] : [])] });
    // config.json records the data the run trained on (official files or a stand-in, by hash).
    run?.initialize({ ...config, data: prepared.trainSource });
    const resumed = prepared.trainer.resume();
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
