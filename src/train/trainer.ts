import { crossEntropy } from '../autograd/functions/cross-entropy.js';
import { withPrecision } from '../autograd/precision.js';
import type { Precision } from '../backend/backend.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { recycleTensors } from '../tensor/recycling-scope.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Batch, BatchSource } from './batches.js';
import { checkpointPosition, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { evaluateClassifier } from './evaluate.js';
import { clipGradNorm } from './gradient-clipping.js';
import { correctCount } from './metrics.js';
import { RunStoreError, type MetricsRecord, type RunDirectory } from './run-store.js';
import { constantLr, type LrSchedule } from './schedules.js';

/** Training stopped because the loss stopped being a finite number. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(readonly epoch: number, readonly step: number, readonly loss: number) {
    super(`training diverged: loss is ${loss} at epoch ${epoch + 1}, step ${step} — lower the learning rate or clip gradients`);
  }
}

/**
 * What a `TrainerCallback.onStep` receives after each optimizer step: epoch, global step, batch loss, learning rate, running error.
 */
export interface StepReport {
  epoch: number;
  step: number;
  loss: number;
  lr: number;
  batchSize: number;
  /** Running training error over the epoch so far. */
  runningError: number;
  batchesPerEpoch: number;
}

/**
 * One epoch's numbers: mean training loss and error (fractions, 0..1), test loss and error when a test set is given, seconds.
 */
export interface EpochReport {
  epoch: number;
  step: number;
  lr: number;
  trainLoss: number;
  /** Running training error over the epoch (He et al.'s curves use this). */
  trainError: number;
  testLoss?: number;
  testError?: number;
  seconds: number;
  imagesPerSecond: number;
}

/** Hooks into the loop; each may be async (the trainer awaits it). */
export interface TrainerCallback {
  /** After each optimizer step. */
  onStep?(report: StepReport, trainer: Trainer): void | Promise<void>;
  /** After each epoch, with its training (and test) numbers. */
  onEpoch?(report: EpochReport, trainer: Trainer): void | Promise<void>;
}

/**
 * What a `Trainer` trains: model, optimizer, batches, epochs, and optionally a schedule, loss, gradient clipping, callbacks and a run folder.
 */
export interface TrainerOptions {
  model: Module;
  optimizer: Optimizer;
  train: BatchSource;
  test?: BatchSource | null;
  epochs: number;
  /** Learning rate per global step; defaults to the optimiser's rate. */
  schedule?: LrSchedule;
  /** Loss of one batch; defaults to cross-entropy against integer labels. */
  loss?: (output: Tensor, batch: Batch) => Tensor;
  clipGradNorm?: number;
  /** The generator that dropout and other in-model randomness draw from (saved in checkpoints). */
  rng?: Rng;
  callbacks?: TrainerCallback[];
  /** With a run folder: metrics go to metrics.jsonl and a checkpoint is written each epoch. */
  run?: RunDirectory;
  /** Also write a step record to metrics.jsonl every this many steps (0: never). */
  logEverySteps?: number;
  /** Evaluate on the test source every this many steps too (0: only at epoch ends); needs logEverySteps. */
  evalEverySteps?: number;
  /** Operand precision of convolutions and matrix products in training and evaluation (autograd/precision.ts); default FP32. */
  precision?: Precision;
  /** Evaluate the model on slices of at most this many test images (evaluate.ts's `forwardBatch`; the numbers do not change). */
  evaluationSlice?: number;
}

/** The outcome of `Trainer.fit`: one report per epoch, the number of optimizer steps, and the wall time in seconds. */
export interface TrainResult {
  epochs: EpochReport[];
  steps: number;
  seconds: number;
}

/** The training loop: forward, loss, backward, optimiser step; evaluation and checkpoints per epoch. */
export class Trainer {
  epoch = 0;
  step = 0;
  private resumed: boolean | null = null;
  private readonly schedule: LrSchedule;
  private readonly rng: Rng;
  private readonly lossOf: (output: Tensor, batch: Batch) => Tensor;
  private readonly history: EpochReport[] = [];

  constructor(readonly options: TrainerOptions) {
    this.schedule = options.schedule ?? constantLr(options.optimizer.lr);
    this.rng = options.rng ?? globalRng();
    this.lossOf = options.loss ?? ((output, batch) => crossEntropy(output, batch.y));
  }

  /**
   * Continue from the run folder's checkpoint, if there is one; returns whether it resumed. The
   * checkpoint is the source of truth: metrics.jsonl is rewound to the lines it covers, and
   * refused if it does not hold them. Needs the run folder's lock (`await run.lock()`); `fit`
   * takes it and resumes by itself when this was not called.
   */
  resume(): boolean {
    if (this.resumed !== null) return this.resumed;
    const run = this.options.run;
    if (!run) return (this.resumed = false);
    if (!run.isLocked) throw new RunStoreError(`${run.path}: lock the run folder before resuming (await run.lock())`);
    if (!run.hasCheckpoint()) {
      run.rewindMetrics(null);
      return (this.resumed = false);
    }
    const state = readCheckpoint(run, this.options.model, this.options.optimizer);
    const records = run.rewindMetrics(checkpointPosition(state));
    this.epoch = state.epoch;
    this.step = state.step;
    this.rng.setState(state.rng);
    (this.options.train.setState as (s: unknown) => void)(state.loader);
    for (const r of records) if (r.kind === 'epoch') this.history.push(r as unknown as EpochReport);
    return (this.resumed = true);
  }

  private record(record: MetricsRecord): void {
    this.options.run?.appendMetrics(record);
  }

  private checkpoint(): void {
    const run = this.options.run;
    if (!run) return;
    writeCheckpoint(run, this.options.model, this.options.optimizer, {
      epoch: this.epoch, step: this.step, rng: this.rng.getState(), loader: this.options.train.getState(),
    });
  }

  private get precision(): Precision {
    return this.options.precision ?? 'fp32';
  }

  private evaluate(test: BatchSource): ReturnType<typeof evaluateClassifier> {
    return withPrecision(this.precision, () => evaluateClassifier(this.options.model, test, { forwardBatch: this.options.evaluationSlice }));
  }

  /**
   * Train for the remaining epochs (all of them, or those after a resumed checkpoint) and return every
   * epoch's report; with a run folder, holding its lock (taken here if not held yet).
   *
   * @example
   *   const { epochs } = await new Trainer({ model, optimizer, train: loader, epochs: 3 }).fit();
   */
  async fit(): Promise<TrainResult> {
    const run = this.options.run;
    const lock = run && !run.isLocked ? await run.lock() : null;
    try {
      this.resume();
      return await this.trainEpochs();
    } finally {
      await lock?.release();
    }
  }

  private async trainEpochs(): Promise<TrainResult> {
    const { model, optimizer, train, test, epochs, callbacks = [], logEverySteps = 0, evalEverySteps = 0 } = this.options;
    const params = model.parameters();
    const started = performance.now();
    while (this.epoch < epochs) {
      model.train();
      const epochStart = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let windowCorrect = 0;
      let windowSeen = 0;
      let lr = this.schedule(this.step);
      for (const batch of train) {
        lr = this.schedule(this.step);
        optimizer.lr = lr;
        // The step's activations go back to the pool when it ends (see recycling-scope.ts).
        const { value, batchCorrect } = withPrecision(this.precision, () => recycleTensors(() => {
          const output = model.forward(batch.x);
          const loss = this.lossOf(output, batch);
          const value = loss.item();
          if (!Number.isFinite(value)) throw new TrainingDivergedError(this.epoch, this.step, value);
          optimizer.zeroGrad();
          loss.backward();
          if (this.options.clipGradNorm) clipGradNorm(params, this.options.clipGradNorm);
          optimizer.step();
          return { value, batchCorrect: output.ndim === 2 ? correctCount(output, batch.y) : 0 };
        }));
        this.step++;
        const n = batch.y.shape[0]!;
        lossSum += value * n;
        correct += batchCorrect;
        seen += n;
        const report: StepReport = { epoch: this.epoch, step: this.step, loss: value, lr, batchSize: n, runningError: 1 - correct / seen, batchesPerEpoch: train.batchesPerEpoch };
        if (logEverySteps > 0 && this.step % logEverySteps === 0) {
          // The training error of the last logEverySteps batches, and test error when due.
          const windowError = 1 - (correct - windowCorrect) / Math.max(1, seen - windowSeen);
          windowCorrect = correct;
          windowSeen = seen;
          const evaluation = test && evalEverySteps > 0 && this.step % evalEverySteps === 0 ? this.evaluate(test) : null;
          this.record({
            kind: 'step', epoch: this.epoch, step: this.step, lr, loss: value, trainError: windowError,
            ...(evaluation ? { testLoss: evaluation.loss, testError: evaluation.error } : {}),
          });
        }
        for (const c of callbacks) await c.onStep?.(report, this);
      }
      const seconds = (performance.now() - epochStart) / 1000;
      const report: EpochReport = {
        epoch: this.epoch, step: this.step, lr,
        trainLoss: seen > 0 ? lossSum / seen : NaN, trainError: seen > 0 ? 1 - correct / seen : NaN,
        seconds, imagesPerSecond: seen / Math.max(seconds, 1e-9),
      };
      if (test) {
        const result = this.evaluate(test);
        report.testLoss = result.loss;
        report.testError = result.error;
      }
      this.epoch++;
      this.history.push(report);
      this.record({ kind: 'epoch', ...report });
      this.checkpoint();
      for (const c of callbacks) await c.onEpoch?.(report, this);
    }
    return { epochs: [...this.history], steps: this.step, seconds: (performance.now() - started) / 1000 };
  }
}
