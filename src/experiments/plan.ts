import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { writeFileAtomicSync } from '../io/atomic-write.js';
import { RunDirectory } from '../train/run-store.js';
import { describeIssues } from '../util/zod-issues.js';
import type { Executor } from './executor.js';
import { jobIdOf, type Job, type JobEvent, type MeasureJob, type ModelSource } from './jobs.js';
import { finiteJson } from './json.js';
import type { MeasurementStep } from './measurement.js';
import { readShard, type ShardRecord } from './shards.js';
import { storePath } from './store-path.js';
import { expandSpec, SpecError, type ExperimentSpec, type PlannedRun } from './spec.js';
import { fileSha256 } from './weights-file.js';

/**
 * An experiment as the executor sees it: a declared set of training runs (each a spec's grid ×
 * seeds), measurement steps that read the runs' stored weights, split into shards, and an
 * assembly that turns the shards into `results.json` under a schema. `runExperiments` hands
 * every training job to the executor, then every measurement job, then assembles — the one road
 * every experiment takes, whichever executor runs the jobs.
 */
export interface ExperimentPlan {
  /** experiment.json of the experiment's folder `<root>/<spec.name>`; its kind picks the report section. */
  spec: ExperimentSpec;
  /** The training runs it needs, by spec (a spec's folder may be shared by several experiments); `runs` limits them to some ids. */
  training: readonly { spec: ExperimentSpec; runs?: readonly string[] }[];
  /** The measurement shards, planned once the runs are trained (their weights are pinned by hash). */
  measurements?(context: PlanContext): MeasureJob[];
  /** Turns the shards and runs into results.json; its schema is checked before anything is written. */
  results?: { schema: z.ZodType; assemble(context: AssemblyContext): unknown };
}

export interface PlanContext {
  readonly root: string;
  /** The weights of a trained run after `epoch` epochs (default: its last), as a measurement source. */
  runSource(spec: ExperimentSpec, run: PlannedRun, label: string, epoch?: number): ModelSource;
}

export interface AssemblyContext {
  readonly root: string;
  /** A shard's stored record, its result checked by the step's schema. */
  shard<R extends z.ZodType>(step: MeasurementStep<z.ZodType, R>, shard: string): ShardRecord & { result: z.output<R> };
  run(spec: ExperimentSpec, run: PlannedRun | string): RunDirectory;
  /** This plan's measurement jobs. */
  readonly jobs: readonly MeasureJob[];
  /** Seconds its shards took, in total. */
  readonly seconds: number;
}

export interface PlanOutcome {
  plan: ExperimentPlan;
  /** The experiment folder. */
  dir: string;
  /** Why it did not finish (a training run or shard failed, or the results did not assemble). */
  error?: string;
  /** Its jobs were left on a queue (a detached submission). */
  queued?: boolean;
}

export interface RunExperimentsOptions {
  onEvent?: (event: JobEvent) => void;
  log?: (line: string) => void;
}

/**
 * Write the spec into the store at `root` and return the selected runs' training jobs. A run's
 * folder is made when the run starts (by the executor); one that exists already must hold the
 * same config, which is checked here, before any run trains.
 */
export function prepareTraining(root: string, spec: ExperimentSpec, only?: readonly string[]): Job[] {
  const runs = expandSpec(spec).filter((r) => !only || only.includes(r.id));
  if (only) {
    const missing = only.filter((id) => !runs.some((r) => r.id === id));
    if (missing.length > 0) throw new SpecError(`spec '${spec.name}' has no run ${missing.join(', ')}`);
  }
  writeExperimentJson(root, spec);
  return runs.map((r) => {
    const path = storePath(root, spec.name, r.id);
    if (existsSync(path)) new RunDirectory(path).initialize(r.config);
    return { kind: 'train', data: { experiment: spec.name, run: r.id, config: r.config } };
  });
}

function writeExperimentJson(root: string, spec: ExperimentSpec): void {
  const dir = storePath(root, spec.name);
  mkdirSync(dir, { recursive: true });
  writeFileAtomicSync(join(dir, 'experiment.json'), new TextEncoder().encode(JSON.stringify(spec, null, 2) + '\n'));
}

function planContext(root: string): PlanContext {
  const hashes = new Map<string, string>();
  return {
    root,
    runSource(spec, run, label, epoch) {
      const at = epoch ?? run.config.epochs;
      const directory = new RunDirectory(storePath(root, spec.name, run.id));
      if (!directory.hasWeights(at)) {
        throw new SpecError(`${directory.weightsPath(at)}: run ${spec.name}/${run.id} kept no weights after epoch ${at} (its config's weightSnapshots is ${run.config.weightSnapshots ?? 'unset'})`);
      }
      const path = directory.weightsPath(at);
      let sha256 = hashes.get(path);
      if (!sha256) hashes.set(path, (sha256 = fileSha256(path)));
      return { label, config: run.config, weights: { store: `${spec.name}/${run.id}/weights/epoch-${at}.safetensors`, sha256 } };
    },
  };
}

function assemblyContext(root: string, jobs: readonly MeasureJob[]): AssemblyContext {
  return {
    root,
    jobs,
    seconds: jobs.reduce((total, job) => total + (readShard(root, job)?.seconds ?? 0), 0),
    shard(step, shard) {
      const job = jobs.find((j) => j.step === step.name && j.shard === shard);
      if (!job) throw new Error(`assembly asked for shard ${step.name}/${shard}, which the plan does not have`);
      const record = readShard(root, job);
      if (!record) throw new Error(`shard ${step.name}/${shard} is missing from the store`);
      const parsed = step.result.safeParse(record.result);
      if (!parsed.success) throw new Error(`shard ${step.name}/${shard}: ${describeIssues(parsed.error.issues)}`);
      return { ...record, result: parsed.data };
    },
    run: (spec, run) => new RunDirectory(storePath(root, spec.name, typeof run === 'string' ? run : run.id)),
  };
}

/** Check results against the plan's schema as they will be read back (JSON, NaN as null), then write them. */
function writeResults(dir: string, schema: z.ZodType, results: unknown): void {
  const text = finiteJson(results, 2) + '\n';
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${join(dir, 'results.json')}: the assembled results do not match their schema: ${describeIssues(parsed.error.issues)}`);
  writeFileAtomicSync(join(dir, 'results.json'), new TextEncoder().encode(text));
}

/**
 * Write a plan's results.json from its finished shards and runs (nothing when the plan has no
 * results); used when its jobs are done, here or after a detached submission.
 */
export function assembleResults(plan: ExperimentPlan, root: string, jobs: readonly MeasureJob[] = []): void {
  if (!plan.results) return;
  writeResults(storePath(root, plan.spec.name), plan.results.schema, plan.results.assemble(assemblyContext(root, jobs)));
}

/**
 * Run experiments on an executor: every training job of every plan (shared runs once), then
 * every measurement job, then each plan's results.json. A plan whose runs or shards failed is
 * reported with its error; the others finish. Running the same plans again skips finished jobs.
 */
export async function runExperiments(plans: readonly ExperimentPlan[], executor: Executor, root: string, options: RunExperimentsOptions = {}): Promise<PlanOutcome[]> {
  const onEvent = options.onEvent ?? (() => {});
  const outcomes: PlanOutcome[] = plans.map((plan) => ({ plan, dir: storePath(root, plan.spec.name) }));
  const training = new Map<string, Job>();
  const trainingOf = new Map<PlanOutcome, string[]>();
  for (const outcome of outcomes) {
    const ids: string[] = [];
    for (const { spec, runs } of outcome.plan.training) {
      for (const job of prepareTraining(root, spec, runs)) {
        training.set(jobIdOf(job), job);
        ids.push(jobIdOf(job));
      }
    }
    trainingOf.set(outcome, ids);
  }
  const trained = await executor.run(root, [...training.values()], onEvent);
  if (trained.queued && trained.queued.length > 0) return outcomes.map((o) => ({ ...o, queued: true }));
  const failedRuns = new Map(trained.failed.map((f) => [f.job, f.error]));
  const measuring: PlanOutcome[] = [];
  const jobsOf = new Map<PlanOutcome, MeasureJob[]>();
  const context = planContext(root);
  for (const outcome of outcomes) {
    const failed = trainingOf.get(outcome)!.filter((id) => failedRuns.has(id));
    if (failed.length > 0) {
      outcome.error = `${failed.length} training run(s) failed: ${failed.map((id) => `${id} (${failedRuns.get(id)})`).join('; ')}`;
      continue;
    }
    if (outcome.plan.spec.name !== outcome.plan.training[0]?.spec.name) writeExperimentJson(root, outcome.plan.spec);
    try {
      jobsOf.set(outcome, outcome.plan.measurements?.(context) ?? []);
      measuring.push(outcome);
    } catch (error) {
      outcome.error = (error as Error).message;
    }
  }
  const measureJobs: Job[] = measuring.flatMap((o) => jobsOf.get(o)!.map((data) => ({ kind: 'measure' as const, data })));
  const measured = measureJobs.length > 0 ? await executor.run(root, measureJobs, onEvent) : { completed: [], skipped: [], failed: [] };
  const failedShards = new Map(measured.failed.map((f) => [f.job, f.error]));
  for (const outcome of measuring) {
    const failed = jobsOf.get(outcome)!.map((data) => jobIdOf({ kind: 'measure', data })).filter((id) => failedShards.has(id));
    if (failed.length > 0) {
      outcome.error = `${failed.length} measurement shard(s) failed: ${failed.map((id) => `${id} (${failedShards.get(id)})`).join('; ')}`;
      continue;
    }
    try {
      assembleResults(outcome.plan, root, jobsOf.get(outcome)!);
    } catch (error) {
      outcome.error = (error as Error).message;
    }
  }
  return outcomes;
}
