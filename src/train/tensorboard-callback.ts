import { join } from 'node:path';
import { EventFileWriter, histogramOf, type Histogram } from '../io/tensorboard.js';
import type { Module } from '../nn/module.js';
import type { EpochReport, StepReport, Trainer, TrainerCallback } from './trainer.js';

export interface TensorBoardCallbackOptions {
  /** Folder for the event file; default `RUN_DIR/tb` of the trainer's run folder. */
  dir?: string;
  /** Log loss, running error and learning rate every this many steps (default 1). */
  scalarEverySteps?: number;
  /** Log gradient norms by depth every this many steps (default 10; 0 = never). */
  gradientEverySteps?: number;
}

/**
 * Gradient L2 norm of every weight matrix or kernel (parameters with 2+ axes, i.e. conv and
 * linear weights; biases and norm scales left out), in construction order = depth order.
 */
export function weightGradientNormsByDepth(model: Module): { names: string[]; norms: number[] } {
  const names: string[] = [];
  const norms: number[] = [];
  for (const [name, p] of model.namedParameters()) {
    if (p.ndim < 2 || !p.grad) continue;
    let s = 0;
    for (const g of p.grad.f32) s += g * g;
    names.push(name);
    norms.push(Math.sqrt(s));
  }
  return { names, norms };
}

/**
 * The depth profile as a histogram whose bucket d, covering (d, d + 1], holds layer d's gradient
 * norm: TensorBoard's histogram view then draws norm against depth at each step, the picture of
 * vanishing gradients in plain nets that skip connections fix (He et al. 2016, "Identity
 * mappings", §3). `num` counts layers; `sum`/`sumSquares` are over the norms.
 */
export function depthProfileHistogram(norms: readonly number[]): Histogram {
  return {
    min: 0,
    max: norms.length,
    num: norms.length,
    sum: norms.reduce((a, b) => a + b, 0),
    sumSquares: norms.reduce((a, b) => a + b * b, 0),
    bucketLimit: norms.map((_, d) => d + 1),
    bucket: [...norms],
  };
}

/**
 * Writes a run's training curves to TensorBoard event files: per step `loss/train_step`,
 * `error/train_running`, `lr`; per epoch `loss/train`, `error/train`, `loss/test`, `error/test`;
 * and the weights' gradient norms by depth as `gradients/norm_by_depth` (profile, see
 * `depthProfileHistogram`) and `gradients/layer_norms` (their distribution), with
 * `gradients/global_norm`. `tensorboard --logdir runs/` then shows every run of a sweep.
 */
export class TensorBoardCallback implements TrainerCallback {
  private writer: EventFileWriter | null = null;
  private readonly scalarEvery: number;
  private readonly gradientEvery: number;

  constructor(private readonly options: TensorBoardCallbackOptions = {}) {
    this.scalarEvery = options.scalarEverySteps ?? 1;
    this.gradientEvery = options.gradientEverySteps ?? 10;
  }

  private open(trainer: Trainer): EventFileWriter {
    if (this.writer) return this.writer;
    const dir = this.options.dir ?? (trainer.options.run ? join(trainer.options.run.path, 'tb') : null);
    if (!dir) throw new Error('TensorBoardCallback: give a dir, or train with a run folder (its tb/ is used)');
    this.writer = new EventFileWriter(dir);
    return this.writer;
  }

  /** The event file being written (null before the first step). */
  get path(): string | null {
    return this.writer?.path ?? null;
  }

  onStep(report: StepReport, trainer: Trainer): void {
    const writer = this.open(trainer);
    if (this.scalarEvery > 0 && report.step % this.scalarEvery === 0) {
      writer.addScalar('loss/train_step', report.loss, report.step);
      writer.addScalar('error/train_running', report.runningError, report.step);
      writer.addScalar('lr', report.lr, report.step);
    }
    if (this.gradientEvery > 0 && report.step % this.gradientEvery === 0) {
      // After the optimizer step the gradients of this step are still on the parameters.
      const { norms } = weightGradientNormsByDepth(trainer.options.model);
      if (norms.length === 0) return;
      writer.addHistogram('gradients/norm_by_depth', depthProfileHistogram(norms), report.step);
      writer.addHistogram('gradients/layer_norms', histogramOf(norms, Math.min(30, norms.length)), report.step);
      writer.addScalar('gradients/global_norm', Math.sqrt(norms.reduce((a, b) => a + b * b, 0)), report.step);
    }
  }

  onEpoch(report: EpochReport, trainer: Trainer): void {
    const writer = this.open(trainer);
    writer.addScalar('loss/train', report.trainLoss, report.step);
    writer.addScalar('error/train', report.trainError, report.step);
    if (report.testLoss !== undefined) writer.addScalar('loss/test', report.testLoss, report.step);
    if (report.testError !== undefined) writer.addScalar('error/test', report.testError, report.step);
    writer.addScalar('epoch', report.epoch + 1, report.step);
    writer.flush();
  }

  close(): void {
    this.writer?.close();
    this.writer = null;
  }
}
