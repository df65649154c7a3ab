import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSummary, summarizeSeeds } from '../../analysis/statistics.js';
import { degradationCalibrationSchema, type CalibrationRun, type DegradationCalibration } from '../../experiments/results/pytorch-calibration.js';
import type { ExperimentStore } from '../../experiments/store.js';
import { packageRoot } from '../../util/package-root.js';
import { describeIssues } from '../../util/zod-issues.js';
import { ResultsError } from '../sections/common.js';

/** A PyTorch calibration found for an experiment, and how its recipe differs from the experiment's (empty: the same). */
export interface LoadedCalibration {
  path: string;
  calibration: DegradationCalibration;
  mismatches: string[];
}

/** resnet_cifar's default first-stage width (16/32/64 channels, He et al. 2016 §4.2). */
const DEFAULT_BASE_WIDTH = 16;

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

/** The recipe fields where the calibration and the experiment's spec disagree, in words. */
export function recipeMismatches(calibration: DegradationCalibration, store: ExperimentStore): string[] {
  const base = store.spec.base;
  const ours: Record<string, unknown> = {
    baseWidth: base.modelOptions?.baseWidth ?? DEFAULT_BASE_WIDTH,
    epochs: base.epochs,
    batchSize: base.batchSize,
    lr: base.lr,
    warmupEpochs: base.warmupEpochs ?? 0,
    trainCount: base.trainSubset ?? calibration.recipe.trainCount,
    testCount: base.testSubset ?? calibration.recipe.testCount,
  };
  const mismatches = Object.entries(ours)
    .filter(([key, value]) => value !== calibration.recipe[key as keyof DegradationCalibration['recipe']])
    .map(([key, value]) => `${key} ${String(value)} here, ${String(calibration.recipe[key as keyof DegradationCalibration['recipe']])} in PyTorch`);
  if (base.schedule !== undefined && base.schedule !== 'step') mismatches.push(`schedule ${base.schedule} here, step in PyTorch`);
  if (base.augment !== undefined && base.augment !== 'none') mismatches.push(`augment ${base.augment} here, none in PyTorch`);
  return mismatches;
}

/** The calibration of an experiment, validated; null when there is none. A malformed file is an error naming the file and the field. */
export function loadCalibration(store: ExperimentStore): LoadedCalibration | null {
  if (store.spec.kind !== 'degradation') return null;
  const path = calibrationPath(store);
  if (path === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ResultsError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = degradationCalibrationSchema.safeParse(raw);
  if (!parsed.success) throw new ResultsError(`${path} is not a PyTorch calibration: ${describeIssues(parsed.error.issues)}`);
  return { path, calibration: parsed.data, mismatches: recipeMismatches(parsed.data, store) };
}

/** The complete runs of one net in a calibration. */
export function calibrationRuns(calibration: DegradationCalibration, residual: boolean, depth: number): CalibrationRun[] {
  return calibration.runs.filter((r) => r.complete && r.final && r.depth === depth && (r.skip === 'identity') === residual);
}

/** "plain-20 8.1 ± 0.3 % · … final training error (pytorch 1.13; 3 seeds)", or why it does not apply. */
export function calibrationSummary(loaded: LoadedCalibration | null): string {
  if (loaded === null) return 'not calibrated';
  const { calibration, mismatches } = loaded;
  if (mismatches.length > 0) return `calibrated with another recipe (${mismatches.join('; ')}): not compared`;
  const depths = [...new Set(calibration.runs.map((r) => r.depth))].sort((a, b) => a - b);
  const parts = [false, true].flatMap((residual) => depths.map((depth) => {
    const values = calibrationRuns(calibration, residual, depth).map((r) => r.final!.trainError);
    const name = `${residual ? 'ResNet' : 'plain'}-${depth}`;
    return values.length ? `${name} ${formatSummary(summarizeSeeds(values), { scale: 100, digits: 1, unit: ' %' })} (${values.length} seed${values.length === 1 ? '' : 's'})` : `${name} –`;
  }));
  return `final training error ${parts.join(' · ')} (${calibration.framework})`;
}
