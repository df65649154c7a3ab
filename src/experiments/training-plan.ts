import { degradationResults, degradationResultsSchema } from './degradation-results.js';
import type { ExperimentPlan } from './plan.js';
import type { ExperimentSpec } from './spec.js';
import { ExperimentStore } from './store.js';

/**
 * The plan of a training experiment (the degradation experiment, or any spec file): its spec's
 * runs and no measurement; a spec of kind 'degradation' also assembles its results.json from the
 * stored runs.
 */
export function trainingPlan(spec: ExperimentSpec): ExperimentPlan {
  return {
    spec,
    training: [{ spec }],
    ...(spec.kind === 'degradation'
      ? { results: { schema: degradationResultsSchema, assemble: (context) => degradationResults(new ExperimentStore(context.root, spec)) } satisfies ExperimentPlan['results'] }
      : {}),
  };
}
