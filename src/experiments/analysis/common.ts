import type { ChannelStats, ImageDataset } from '../../data/dataset.js';
import { DataLoader } from '../../data/loader.js';
import type { Batch } from '../../train/batches.js';
import type { EpochReport } from '../../train/trainer.js';
import type { RunDirectory } from '../../train/run-store.js';
import type { MeasureJob, ModelSource } from '../jobs.js';
import type { AssemblyContext, ExperimentPlan, PlanContext } from '../plan.js';
import { RESULTS_VERSION, type WeightsSource } from '../results/header.js';
import { expandSpec, parseExperimentSpec, type ExperimentSpec, type PlannedRun } from '../spec.js';
import { givenSource, twinRun, twinSizes, twinsSpec, type AnalysisSettings } from './settings.js';

/** Every batch of a dataset in order, normalised, materialised once (for evaluation and probes). */
export function fixedBatches(dataset: ImageDataset, stats: ChannelStats | null, batchSize: number): Batch[] {
  const loader = new DataLoader(dataset, { batchSize, normalize: stats });
  return [...loader].map((b) => ({ x: b.x, y: b.y }));
}

/** experiment.json of an analysis experiment: folder `<name>-<mode>`, or `<name>-<mode>-weights-<hash>` for given weights. */
export function analysisSpec(settings: AnalysisSettings, name: string, description: string): ExperimentSpec {
  const folder = `${name}-${settings.mode}${settings.weights ? `-weights-${settings.weights.sha256.slice(0, 12)}` : ''}`;
  return parseExperimentSpec({ name: folder, kind: name, description, base: { dataset: settings.dataset }, seeds: settings.seeds }, `${name} spec`);
}

/** A planned run of a training spec by id. */
export function plannedRun(spec: ExperimentSpec, id: string): PlannedRun {
  const run = expandSpec(spec).find((r) => r.id === id);
  if (!run) throw new Error(`training spec '${spec.name}' has no run '${id}'`);
  return run;
}

export type TwinFamily = 'residual' | 'plain' | 'given';

/** The twins (or the given weights) that one seed measures, each with the family it stands for. */
export function twinSources(settings: AnalysisSettings, context: PlanContext, seed: number, skips: readonly ('identity' | 'none')[] = ['identity', 'none'], epoch?: number): { family: TwinFamily; source: ModelSource }[] {
  if (settings.weights) return [{ family: 'given', source: givenSource(settings, seed) }];
  const spec = twinsSpec(settings);
  return skips.map((skip) => {
    const family: TwinFamily = skip === 'none' ? 'plain' : 'residual';
    return { family, source: context.runSource(spec, plannedRun(spec, twinRun(skip, seed)), family, epoch) };
  });
}

/** The twin runs an experiment trains (none when it measures given weights). */
export function twinTraining(settings: AnalysisSettings, skips: readonly ('identity' | 'none')[] = ['identity', 'none']): ExperimentPlan['training'] {
  if (settings.weights) return [];
  return [{ spec: twinsSpec(settings), runs: settings.seeds.flatMap((seed) => skips.map((skip) => twinRun(skip, seed))) }];
}

/** The epoch records of a stored run, in order. */
export function epochHistory(run: RunDirectory): EpochReport[] {
  return run.readMetrics().filter((r) => r.kind === 'epoch') as unknown as EpochReport[];
}

/** The parameter count a stored run's summary records, or null when it has none. */
export function parameterCountOf(run: RunDirectory): number | null {
  const count = run.readSummary()?.parameterCount;
  return typeof count === 'number' ? count : null;
}

/** The weights a plan's jobs measured, each once, for the report. */
export function sourcesOf(jobs: readonly MeasureJob[]): WeightsSource[] {
  const seen = new Map<string, WeightsSource>();
  for (const job of jobs) {
    for (const source of Object.values(job.sources)) {
      const path = 'store' in source.weights ? source.weights.store : source.weights.file;
      const key = `${source.label}|${source.config.seed}|${path}`;
      if (seen.has(key)) continue;
      const run = 'store' in source.weights ? source.weights.store.split('/').slice(0, 2).join('/') : null;
      seen.set(key, { label: source.label, seed: source.config.seed, model: source.config.model, modelOptions: source.config.modelOptions, path, sha256: source.weights.sha256, run });
    }
  }
  return [...seen.values()];
}

/**
 * The training budget behind a plan's measurements, in words: each distinct recipe of the
 * measured models ("4 epochs on 2,048 fashion-mnist images, batch 64"), or the given weights.
 */
export function budgetOf(jobs: readonly MeasureJob[]): string {
  const recipes = new Set<string>();
  for (const job of jobs) {
    for (const source of Object.values(job.sources)) {
      if (!('store' in source.weights)) {
        recipes.add(`weights trained elsewhere (${source.config.model})`);
        continue;
      }
      const { epochs, trainSubset, dataset, batchSize } = source.config;
      recipes.add(`${epochs} epoch${epochs === 1 ? '' : 's'} on ${trainSubset === undefined ? 'the full' : trainSubset.toLocaleString('en')} ${dataset} training ${trainSubset === undefined ? 'set' : 'images'}, batch ${batchSize}`);
    }
  }
  return recipes.size === 0 ? 'no training' : [...recipes].join('; ');
}

/** The fields every analysis results.json starts with. */
export function resultsHeader<K extends string>(experiment: K, settings: AnalysisSettings, context: AssemblyContext) {
  return {
    version: RESULTS_VERSION, experiment, mode: settings.mode, dataset: settings.dataset, budget: budgetOf(context.jobs),
    seconds: Math.round(context.seconds * 10) / 10, writtenAt: new Date().toISOString(), sources: sourcesOf(context.jobs),
  };
}

/** The final number of a list (the last epoch's), or null. */
export const last = <T>(values: readonly T[]): T | null => (values.length ? values[values.length - 1]! : null);

/** A seed's jobs (their shards are named `seed-<seed>_…`). */
export const seedJobs = (jobs: readonly MeasureJob[], seed: number): MeasureJob[] => jobs.filter((j) => j.shard.startsWith(`seed-${seed}_`));

/** The families a seed measured, in the order its jobs were planned. */
export function familiesOf(jobs: readonly MeasureJob[], seed: number): TwinFamily[] {
  return [...new Set(seedJobs(jobs, seed).map((j) => j.sources.model!.label as TwinFamily))];
}

/** The depth of the models a seed measured (a model option), or null when the model has none. */
export function depthOf(settings: AnalysisSettings, jobs: readonly MeasureJob[], seed: number): number | null {
  const depth = seedJobs(jobs, seed)[0]?.sources.model?.config.modelOptions.depth;
  return typeof depth === 'number' ? depth : settings.weights ? null : twinSizes(settings).depth;
}
