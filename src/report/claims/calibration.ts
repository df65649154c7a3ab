import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSummary, summarizeSeeds } from '../../analysis/statistics.js';
import type { WeightsSource } from '../../experiments/results/header.js';
import { lesionResultsSchema } from '../../experiments/results/lesion.js';
import { pathsResultsSchema } from '../../experiments/results/paths.js';
import {
  CALIBRATION_SCHEMAS, type CalibratedKind, type CalibrationOf, type CalibrationRecipe, type DegradationCalibrationRun, type LesionCalibrationRun, type PathsCalibrationRun,
} from '../../experiments/results/pytorch-calibration.js';
import { parseExperimentSpec, type ExperimentSpec } from '../../experiments/spec.js';
import type { ExperimentStore } from '../../experiments/store.js';
import { packageRoot } from '../../util/package-root.js';
import { describeIssues } from '../../util/zod-issues.js';
import { readResults, ResultsError } from '../sections/common.js';

/** A PyTorch calibration found for an experiment of kind K, and how its recipe differs from the experiment's (empty: the same). */
export interface LoadedCalibrationOf<K extends CalibratedKind> {
  kind: K;
  path: string;
  calibration: CalibrationOf[K];
  mismatches: string[];
}
export type LoadedCalibration = { [K in CalibratedKind]: LoadedCalibrationOf<K> }[CalibratedKind];

/** resnet_cifar's default first-stage width (16/32/64 channels, He et al. 2016 §4.2). */
const DEFAULT_BASE_WIDTH = 16;

const isCalibrated = (kind: string): kind is CalibratedKind => Object.hasOwn(CALIBRATION_SCHEMAS, kind);

/**
 * Where an experiment's PyTorch calibration is: `pytorch-reference.json` in its folder, else the
 * file committed with skiplab for that experiment (scripts/reference/<name>.torch.json), else none.
 */
export function calibrationPath(store: ExperimentStore): string | null {
  const own = join(store.path, 'pytorch-reference.json');
  if (existsSync(own)) return own;
  const committed = join(packageRoot().path, 'scripts', 'reference', `${store.spec.name}.torch.json`);
  return existsSync(committed) ? committed : null;
}

/** The recipe fields where the calibration and a training spec's base disagree, in words. */
export function recipeMismatches(recipe: CalibrationRecipe, base: ExperimentSpec['base']): string[] {
  const ours: Record<keyof CalibrationRecipe, unknown> = {
    baseWidth: base.modelOptions?.baseWidth ?? DEFAULT_BASE_WIDTH,
    epochs: base.epochs,
    batchSize: base.batchSize,
    lr: base.lr,
    warmupEpochs: base.warmupEpochs ?? 0,
    trainCount: base.trainSubset ?? recipe.trainCount,
    testCount: base.testSubset ?? recipe.testCount,
  };
  const mismatches = (Object.keys(ours) as (keyof CalibrationRecipe)[])
    .filter((key) => ours[key] !== recipe[key])
    .map((key) => `${key} ${String(ours[key])} here, ${String(recipe[key])} in PyTorch`);
  if (base.schedule !== undefined && base.schedule !== 'step') mismatches.push(`schedule ${base.schedule} here, step in PyTorch`);
  if (base.augment !== undefined && base.augment !== 'none') mismatches.push(`augment ${base.augment} here, none in PyTorch`);
  return mismatches;
}

/** The base of the one training spec stored beside an analysis experiment whose runs its weights sources name. */
function measuredNetsBase(store: ExperimentStore, sources: readonly WeightsSource[]): ExperimentSpec['base'] | string {
  const folders = [...new Set(sources.map((s) => s.run?.split('/')[0] ?? null))];
  if (folders.length !== 1 || folders[0] === null) return 'weights trained elsewhere';
  const specPath = join(store.path, '..', folders[0], 'experiment.json');
  if (!existsSync(specPath)) return `the training spec of the measured nets (${specPath}) is missing`;
  return parseExperimentSpec(JSON.parse(readFileSync(specPath, 'utf8')), specPath).base;
}

/**
 * The training recipe of the nets an experiment measured: a degradation experiment trains them
 * itself (its spec's base); lesion and paths measure the runs of a training spec stored beside
 * them, named by their results' weights sources. A string says why there is none to compare.
 */
function trainingBase(store: ExperimentStore, kind: CalibratedKind): ExperimentSpec['base'] | string {
  switch (kind) {
    case 'degradation':
      return store.spec.base;
    case 'lesion':
      return measuredNetsBase(store, readResults(store.path, kind, lesionResultsSchema).sources);
    case 'paths':
      return measuredNetsBase(store, readResults(store.path, kind, pathsResultsSchema).sources);
    default: {
      const never: never = kind;
      throw new Error(`trainingBase: no training recipe known for '${String(never)}'`);
    }
  }
}

/**
 * Whether the paths experiment sampled as many paths per length as PyTorch did: fewer samples
 * make each length's gradient noisier, so the numbers would not be comparable.
 */
function samplingMismatches(store: ExperimentStore, torchSamples: number): string[] {
  const ours = [...new Set(readResults(store.path, 'paths', pathsResultsSchema).seeds.flatMap((s) => s.gradientByLength.map((g) => g.samples)))];
  return ours.length === 1 && ours[0] === torchSamples ? [] : [`samplesPerLength ${ours.join('/')} here, ${torchSamples} in PyTorch`];
}

/** The calibration of an experiment, validated; null when there is none. A malformed file is an error naming the file and the field. */
export function loadCalibration(store: ExperimentStore): LoadedCalibration | null {
  const kind = store.spec.kind;
  if (!isCalibrated(kind)) return null;
  const path = calibrationPath(store);
  if (path === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ResultsError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = CALIBRATION_SCHEMAS[kind].safeParse(raw);
  if (!parsed.success) throw new ResultsError(`${path} is not a PyTorch calibration: ${describeIssues(parsed.error.issues)}`);
  const base = trainingBase(store, kind);
  const mismatches = typeof base === 'string' ? [base] : recipeMismatches(parsed.data.recipe, base);
  if (kind === 'paths') mismatches.push(...samplingMismatches(store, (parsed.data as CalibrationOf['paths']).measurement.samplesPerLength));
  return { kind, path, calibration: parsed.data, mismatches } as LoadedCalibration;
}

/** The complete runs of one net in a calibration. */
export function calibrationRuns<R extends { complete: boolean; depth: number; skip: 'identity' | 'none' }>(calibration: { runs: R[] }, residual: boolean, depth: number): R[] {
  return calibration.runs.filter((r) => r.complete && r.depth === depth && (r.skip === 'identity') === residual);
}

/** A complete lesion run's mean increase in test error over its single deletions (as skiplab's singleDeletionIncrease). */
export function calibrationDeletionIncrease(run: LesionCalibrationRun): number {
  const single = run.single ?? [];
  if (run.baseline === undefined || single.length === 0) return NaN;
  return single.reduce((sum, s) => sum + s.error - run.baseline!, 0) / single.length;
}

/** A complete paths run's mean path length weighted by each length's share of the gradient (as skiplab's gradientWeightedLength). */
export function calibrationWeightedLength(run: PathsCalibrationRun): number {
  return run.gradientWeightedLength ?? NaN;
}

type SummaryFormat = { scale: number; digits: number; unit: string };
const PERCENT_SUMMARY: SummaryFormat = { scale: 100, digits: 1, unit: ' %' };

/** What a calibration's summary reports for each kind, from one complete run, for which twins (the paths experiment measures only the residual one). */
const SUMMARIZED: { [K in CalibratedKind]: { what: string; value: (run: CalibrationOf[K]['runs'][number]) => number; format: SummaryFormat; residualOnly: boolean } } = {
  degradation: { what: 'final training error', value: (run: DegradationCalibrationRun) => run.final!.trainError, format: PERCENT_SUMMARY, residualOnly: false },
  lesion: { what: 'mean increase in test error per single deletion', value: calibrationDeletionIncrease, format: PERCENT_SUMMARY, residualOnly: false },
  paths: { what: 'gradient-weighted mean path length', value: calibrationWeightedLength, format: { scale: 1, digits: 2, unit: ' blocks' }, residualOnly: true },
};

/** "final training error plain-20 8.1 ± 0.3 % (3 seeds) · … (pytorch 1.13)", or why it does not apply. */
export function calibrationSummary(loaded: LoadedCalibration | null): string {
  if (loaded === null) return 'not calibrated';
  const { calibration, mismatches } = loaded;
  if (mismatches.length > 0) return `calibrated with another recipe (${mismatches.join('; ')}): not compared`;
  const { what, value, format, residualOnly } = SUMMARIZED[loaded.kind] as { what: string; value: (run: CalibrationOf[CalibratedKind]['runs'][number]) => number; format: SummaryFormat; residualOnly: boolean };
  const runs: CalibrationOf[CalibratedKind]['runs'] = calibration.runs;
  const depths = [...new Set(runs.map((r) => r.depth))].sort((a, b) => a - b);
  const parts = (residualOnly ? [true] : [false, true]).flatMap((residual) => depths.map((depth) => {
    const values = calibrationRuns({ runs }, residual, depth).map(value);
    const name = `${residual ? 'ResNet' : 'plain'}-${depth}`;
    return values.length ? `${name} ${formatSummary(summarizeSeeds(values), format)} (${values.length} seed${values.length === 1 ? '' : 's'})` : `${name} –`;
  }));
  return `${what} ${parts.join(' · ')} (${calibration.framework})`;
}

/** The loaded calibration if it belongs to an experiment of `kind`, else null. */
export function calibrationOfKind<K extends CalibratedKind>(loaded: LoadedCalibration | null, kind: K): LoadedCalibrationOf<K> | null {
  return loaded !== null && loaded.kind === kind ? (loaded as LoadedCalibrationOf<K>) : null;
}
