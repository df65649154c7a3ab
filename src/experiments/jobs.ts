import { z } from 'zod';
import { trainConfigSchema } from '../train/config.js';
import { FOLDER_NAME } from './spec.js';

/**
 * The two kinds of job every experiment is made of (DESIGN.md decision 6), and what an executor
 * reports about them. A training job trains one planned run into `<store>/<experiment>/<run>/`;
 * a measurement job reads stored weights and writes one shard of a measurement into
 * `<store>/<experiment>/shards/<step>/<shard>.json`. Both are plain data, so the same job runs
 * in a local worker process or on a queue worker on another machine.
 */

const folderName = z.string().regex(FOLDER_NAME, 'must be a plain folder name (letters, digits and . _ = + , -)');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in lower-case hex');

export const trainJobSchema = z.strictObject({
  experiment: folderName,
  run: folderName,
  config: trainConfigSchema,
});
export type TrainJob = z.infer<typeof trainJobSchema>;

/**
 * Weights a measurement reads, pinned by content: a file of a run in the store (a relative path
 * made of plain folder names, so it stays inside the store), or a file the user named with
 * `--weights` (an absolute path on the machine that planned the job).
 */
export const weightsRefSchema = z.union([
  z.strictObject({ store: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._=+,-]*(\/[A-Za-z0-9][A-Za-z0-9._=+,-]*)+$/, 'must be a path of plain folder names inside the store'), sha256 }),
  z.strictObject({ file: z.string().min(1), sha256 }),
]);
export type WeightsRef = z.infer<typeof weightsRefSchema>;

/** A model to measure: the config it was trained with (it builds the model and names its data) and its weights. */
export const modelSourceSchema = z.strictObject({
  /** How the report names it: "residual", "plain", "given"… */
  label: z.string().min(1),
  config: trainConfigSchema,
  weights: weightsRefSchema,
});
export type ModelSource = z.infer<typeof modelSourceSchema>;

export const measureJobSchema = z.strictObject({
  /** The analysis experiment's folder, where the shard lands. */
  experiment: folderName,
  /** A measurement step by name (see measurement-steps.ts). */
  step: folderName,
  shard: folderName,
  sources: z.record(z.string(), modelSourceSchema),
  /** The step's own parameters, checked by the step's schema where it runs. */
  params: z.record(z.string(), z.unknown()),
});
export type MeasureJob = z.infer<typeof measureJobSchema>;

export type Job = { kind: 'train'; data: TrainJob } | { kind: 'measure'; data: MeasureJob };

/**
 * A job's id: its place in the store (`<experiment>/<run>` or `<experiment>/<step>/<shard>`), so
 * submitting a job twice never duplicates work. BullMQ forbids ':' in custom ids; '/' is fine.
 */
export function jobIdOf(job: Job): string {
  return job.kind === 'train' ? `${job.data.experiment}/${job.data.run}` : `${job.data.experiment}/${job.data.step}/${job.data.shard}`;
}

/** Progress of a set of jobs as they start and finish. */
export interface JobEvent {
  kind: 'start' | 'epoch' | 'done' | 'failed' | 'skipped';
  /** The job's id (see jobIdOf). */
  job: string;
  message?: string;
  epoch?: number;
  epochs?: number;
  /** The worker that ran it, when known. */
  worker?: string;
}

export interface JobsResult {
  completed: string[];
  skipped: string[];
  failed: { job: string; error: string }[];
  /** Jobs left on a queue without waiting for them (BullMQ with `detach`). */
  queued?: string[];
}
