import { RunDirectory } from '../train/run-store.js';
import { jobIdOf, type Job, type JobEvent, type JobsResult, type WeightsRef } from './jobs.js';
import { readShard } from './shards.js';
import { storePath } from './store-path.js';

/**
 * What every executor does (DESIGN.md decision 6): run a set of jobs — training runs and
 * measurement shards alike — into the store at `root`, skipping the ones already done, and
 * report progress. The local process pool and the BullMQ queue both sit behind this, so the CLI
 * and the reports do not care where a job ran.
 */
export interface Executor {
  /** Short name for messages ("local", "bullmq"). */
  readonly name: string;
  /** Run every job not done yet; jobs may run in any order and at once. */
  run(root: string, jobs: readonly Job[], onEvent?: (event: JobEvent) => void): Promise<JobsResult>;
}

/** A training run is done when its summary says complete; a shard when its file answers the same job. */
export function jobIsDone(root: string, job: Job): boolean {
  if (job.kind === 'train') return new RunDirectory(storePath(root, job.data.experiment, job.data.run)).isComplete();
  return readShard(root, job.data) !== null;
}

/** Split jobs into those to run and those already done (reported as skipped). */
export function pendingJobs(root: string, jobs: readonly Job[], result: JobsResult, onEvent: (event: JobEvent) => void): Job[] {
  return jobs.filter((job) => {
    if (!jobIsDone(root, job)) return true;
    result.skipped.push(jobIdOf(job));
    onEvent({ kind: 'skipped', job: jobIdOf(job) });
    return false;
  });
}

/** Where weights are on the machine that holds the store at `root`. */
export function localWeightsPath(root: string, ref: WeightsRef): string {
  return 'store' in ref ? storePath(root, ...ref.store.split('/')) : ref.file;
}
