import type { ExperimentPlan } from '../plan.js';
import { featureReusePlan } from './feature-reuse.js';
import { gradientFlowPlan } from './gradient-flow.js';
import { highwayGatesPlan } from './highway-gates.js';
import { identityConstructionPlan } from './identity-construction.js';
import { landscapePlan } from './landscape.js';
import { lesionPlan } from './lesion.js';
import { pathsPlan } from './paths.js';
import { representationsPlan } from './representations.js';
import type { AnalysisSettings } from './settings.js';
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
  return plans[name](settings);
}

export type { AnalysisMode, AnalysisSettings, GivenWeights } from './settings.js';
