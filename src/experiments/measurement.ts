import type { z } from 'zod';
import type { SkipModel } from '../models/skip-model.js';
import { Rng } from '../tensor/rng.js';
import type { TrainConfig } from '../train/config.js';
import { buildRunModel, loadRunData, type RunData } from '../train/run-training.js';
import { SpecError } from './spec.js';
import type { MeasureJob, ModelSource } from './jobs.js';
import { loadPinnedWeights } from './weights-file.js';

/**
 * A measurement step: a named, typed function from stored weights (the job's sources) and
 * parameters to a JSON result — one shard of an experiment's measurement. Steps are found by
 * name where a job runs (measurement-steps.ts), and their `result` schema checks both what a
 * shard writes and what the experiment's assembly reads back.
 */
export interface MeasurementStep<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly params: P;
  readonly result: R;
  run(context: MeasureContext, params: z.output<P>): z.output<R> | Promise<z.output<R>>;
}

export function defineStep<P extends z.ZodType, R extends z.ZodType>(step: MeasurementStep<P, R>): MeasurementStep<P, R> {
  return step;
}

/** The job that runs `step` on one shard; `params` are typed by the step. */
export function measureJob<P extends z.ZodType, R extends z.ZodType>(
  experiment: string, step: MeasurementStep<P, R>, shard: string, sources: Record<string, ModelSource>, params: z.input<P>,
): MeasureJob {
  return { experiment, step: step.name, shard, sources, params: params as Record<string, unknown> };
}

/** What a step sees: the job's models (built from their configs, weights loaded) and their data. */
export interface MeasureContext {
  readonly job: MeasureJob;
  /** A fresh instance of source `name` with its weights loaded (each call builds a new one, so a step may alter it). */
  model(name: string): Promise<SkipModel>;
  config(name: string): TrainConfig;
  /** The data of source `name`'s config: the subsets it was trained and tested on (loaded once per process). */
  data(name: string): RunData;
  progress(message: string): void;
}

const dataCache = new Map<string, RunData>();

/**
 * The context of one job; `weightsPath` says where each source's weights are on this machine
 * (the executor has made sure they are there and unchanged).
 */
export function measureContext(job: MeasureJob, weightsPath: (name: string) => string, progress: (message: string) => void = () => {}): MeasureContext {
  const source = (name: string): ModelSource => {
    const found = job.sources[name];
    if (!found) throw new SpecError(`measurement ${job.step}/${job.shard}: no source '${name}' (sources: ${Object.keys(job.sources).join(', ')})`);
    return found;
  };
  const data = (name: string): RunData => {
    const config = source(name).config;
    const key = JSON.stringify([config.dataset, config.dataDir, config.trainSubset, config.testSubset, config.segmentation, config.seed]);
    let cached = dataCache.get(key);
    if (!cached) {
      cached = loadRunData(config);
      dataCache.set(key, cached);
    }
    return cached;
  };
  return {
    job,
    config: (name) => source(name).config,
    data,
    async model(name) {
      const { config, weights } = source(name);
      const model = buildRunModel(config, data(name).train, new Rng(config.seed));
      await loadPinnedWeights(model, weightsPath(name), weights.sha256);
      return model;
    },
    progress,
  };
}
