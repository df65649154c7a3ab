import type { ExperimentPlan } from '../plan.js';
import { STANDARD_SEEDS } from '../standard-tier.js';
import { featureReusePlan } from './feature-reuse.js';
import { gradientFlowPlan } from './gradient-flow.js';
import { highwayGatesPlan } from './highway-gates.js';
import { identityConstructionPlan } from './identity-construction.js';
import { landscapePlan } from './landscape.js';
import { lesionPlan } from './lesion.js';
import { pathsPlan } from './paths.js';
import { representationsPlan } from './representations.js';
import type { AnalysisMode, AnalysisSettings } from './settings.js';
import { transformerResidualPlan } from './transformer-residual.js';
import { unetSkipsPlan } from './unet-skips.js';

/** The analysis experiments, in the order the report shows them. */
export const ANALYSIS_EXPERIMENTS = [
  'gradient-flow', 'paths', 'lesion', 'landscape', 'representations',
  'feature-reuse', 'highway-gates', 'unet-skips', 'transformer-residual', 'identity-construction',
] as const;

export type AnalysisExperimentName = (typeof ANALYSIS_EXPERIMENTS)[number];

/** The experiments that can analyse weights trained elsewhere (`--weights`): they measure one model as it is. */
export const GIVEN_WEIGHTS_EXPERIMENTS: readonly AnalysisExperimentName[] = ['lesion', 'paths', 'representations', 'landscape', 'gradient-flow'];

/**
 * The experiments with a standard tier (`--standard`): lesion and paths measure the same trained
 * ResNet-56 twins (one training folder), trained with the standard recipe on the whole official
 * training set. The others have quick and full tiers only.
 */
export const STANDARD_EXPERIMENTS: readonly AnalysisExperimentName[] = ['lesion', 'paths'];

/**
 * The seeds of a quick run when none are given: two, the fewest whose min–max ranges can decide a
 * verdict (one seed leaves every verdict inconclusive by design). Two fit every quick budget: a
 * seed of any quick analysis experiment costs 9–44 CPU-seconds on 2 cores (measured with the
 * native backend; lesion's includes training the shared twins), so the ten take a few minutes
 * more with the second.
 */
export const QUICK_SEEDS: readonly number[] = [0, 1];

/**
 * The seeds an experiment runs when none are given: quick `QUICK_SEEDS`, standard three (a
 * t-interval), full one (paper-scale runs take days); given weights one, since they are a single
 * model whatever the seed.
 */
export function defaultSeeds(mode: AnalysisMode, givenWeights = false): number[] {
  if (givenWeights || mode === 'full') return [0];
  return [...(mode === 'standard' ? STANDARD_SEEDS : QUICK_SEEDS)];
}

/** The experiments whose data is fixed (their `--dataset` cannot be changed). */
export const FIXED_DATASET_EXPERIMENTS: Partial<Record<AnalysisExperimentName, string>> = {
  'unet-skips': 'it trains on the digit-segmentation set composed from MNIST digits',
};

const plans: Record<AnalysisExperimentName, (settings: AnalysisSettings) => ExperimentPlan> = {
  'gradient-flow': gradientFlowPlan,
  paths: pathsPlan,
  lesion: lesionPlan,
  landscape: landscapePlan,
  representations: representationsPlan,
  'feature-reuse': featureReusePlan,
  'highway-gates': highwayGatesPlan,
  'unet-skips': unetSkipsPlan,
  'transformer-residual': transformerResidualPlan,
  'identity-construction': identityConstructionPlan,
};

export function isAnalysisExperiment(name: string): name is AnalysisExperimentName {
  return (ANALYSIS_EXPERIMENTS as readonly string[]).includes(name);
}

/**
 * The plan of an analysis experiment: its training runs, measurement shards and results.json.
 *
 * @example const outcomes = await runExperiments([analysisPlan('lesion', { mode: 'quick', dataset: 'fashion-mnist', seeds: [0, 1, 2] })], localExecutor(), 'runs');
 */
export function analysisPlan(name: AnalysisExperimentName, settings: AnalysisSettings): ExperimentPlan {
  if (settings.mode === 'standard' && !STANDARD_EXPERIMENTS.includes(name)) {
    throw new Error(`${name} has no standard tier (only ${STANDARD_EXPERIMENTS.join(' and ')} do); use quick or full`);
  }
  return plans[name](settings);
}

export type { AnalysisMode, AnalysisSettings, GivenWeights } from './settings.js';
