import { readFileSync } from 'node:fs';
import { trainConfigSchema } from '../train/config.js';
import { RunDirectory } from '../train/run-store.js';
import { runTraining } from '../train/run-training.js';
import { TrainingDivergedError } from '../train/trainer.js';
import { UserInputError } from '../util/errors.js';
import { describeIssues } from '../util/zod-issues.js';
import type { Job } from './jobs.js';
import { finiteJson } from './json.js';
import { measureContext } from './measurement.js';
import { findMeasurementStep } from './measurement-steps.js';
import { writeShard } from './shards.js';
import { SpecError } from './spec.js';
import { storePath } from './store-path.js';

/**
 * Jobs in their own process, forked by an executor (child-jobs.ts): a training run, resumed from
 * its checkpoint when it has one, or a measurement shard, written to its shard file. The parent
 * sends each job over IPC; epochs, progress and "finished" go back the same way. Training in a child keeps
 * the parent's event loop free (a queue worker must renew its job's lock while an epoch
 * computes) and lets several jobs use several cores.
 * Exit codes after a failed job: 1 (worth another attempt), EXIT_DETERMINISTIC and EXIT_ORPHANED.
 */

/** Exit code when a retry would fail the same way (a bad config, file or parameter; a diverged loss). */
export const EXIT_DETERMINISTIC = 3;
/** Exit code when the process that forked this one has died (its job is retried elsewhere). */
export const EXIT_ORPHANED = 4;

export interface JobMessage {
  job: Job;
  /** Store root the job reads from and writes into. */
  root: string;
  /** Who runs it and on which attempt (recorded in a shard). */
  worker: string;
  attempts: number;
  /** Where each measurement source's weights are on this machine. */
  weights?: Record<string, string>;
}

// A parent killed with SIGKILL cannot take its child along; its job is then retried elsewhere, so
// this process stops instead of doing the same work twice into the same folder.
const parent = process.ppid;
let lastCheck = 0;
/** This process's parent now, from /proc on Linux (Node's process.ppid is read once at start). */
function currentParent(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}
function orphaned(): boolean {
  // Re-parented as soon as the parent exits, even while it is an unreaped zombie.
  const now = currentParent();
  if (now !== null) return now !== parent;
  try {
    process.kill(parent, 0);
    return false;
  } catch {
    return true;
  }
}
function stopWhenOrphaned(what: string): void {
  const now = Date.now();
  if (now - lastCheck < 250) return;
  lastCheck = now;
  if (!orphaned()) return;
  process.stderr.write(`skiplab: the worker (pid ${parent}) that owned ${what} is gone; stopping so the retry runs it alone\n`);
  process.exit(EXIT_ORPHANED);
}

async function train(message: JobMessage & { job: { kind: 'train' } }): Promise<void> {
  const { experiment, run: id } = message.job.data;
  const run = new RunDirectory(storePath(message.root, experiment, id));
  run.initialize(message.job.data.config);
  const config = run.readConfig(trainConfigSchema);
  await runTraining(config, {
    run,
    callbacks: [
      { onStep: () => stopWhenOrphaned(run.path) },
      { onEpoch: (r) => void process.send?.({ kind: 'epoch', epoch: r.epoch + 1, epochs: config.epochs, message: `train error ${(r.trainError * 100).toFixed(2)} %` }) },
    ],
  });
}

async function measure(message: JobMessage & { job: { kind: 'measure' } }): Promise<void> {
  const job = message.job.data;
  const step = findMeasurementStep(job.step);
  const params = step.params.safeParse(job.params);
  if (!params.success) throw new SpecError(`measurement ${job.step}/${job.shard}: parameters ${describeIssues(params.error.issues)}`);
  const weights = message.weights ?? {};
  const context = measureContext(job, (name) => {
    const path = weights[name];
    if (!path) throw new SpecError(`measurement ${job.step}/${job.shard}: the executor gave no weights file for source '${name}'`);
    return path;
  }, (text) => {
    stopWhenOrphaned(`measurement ${job.step}/${job.shard}`);
    process.send?.({ kind: 'progress', message: text });
  });
  const started = performance.now();
  const raw = await step.run(context, params.data);
  // What is stored is what JSON holds (NaN as null); the step's schema must accept exactly that.
  const result = step.result.safeParse(JSON.parse(finiteJson(raw)));
  if (!result.success) throw new Error(`measurement ${job.step}/${job.shard}: its result does not match the step's schema: ${describeIssues(result.error.issues)}`);
  if (orphaned()) process.exit(EXIT_ORPHANED);
  writeShard(message.root, { job, result: result.data, worker: message.worker, attempts: message.attempts, seconds: (performance.now() - started) / 1000 });
}

// Jobs arrive one at a time; after each success the parent may send another. A failed job ends
// the process, so the next job starts from a clean one.
process.on('message', (message: JobMessage) => {
  const work = message.job.kind === 'train'
    ? train(message as JobMessage & { job: { kind: 'train' } })
    : measure(message as JobMessage & { job: { kind: 'measure' } });
  work.then(() => void process.send?.({ kind: 'finished' }), (error: unknown) => {
    process.stderr.write(`skiplab: ${(error as Error).message}\n`);
    if (process.env.SKIPLAB_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    const deterministic = error instanceof UserInputError || error instanceof TrainingDivergedError;
    process.exit(deterministic ? EXIT_DETERMINISTIC : 1);
  });
});
process.on('disconnect', () => process.exit(0));
// Between jobs and between awaits; within a computation the step and progress checks above see it.
setInterval(() => stopWhenOrphaned('its jobs'), 1000).unref();
