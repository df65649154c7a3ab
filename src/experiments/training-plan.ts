import { degradationResults, degradationResultsSchema } from './degradation-results.js';
import type { ExperimentPlan } from './plan.js';
import { SpecError, type ExperimentSpec } from './spec.js';

/** What a spec of its own can be: a sweep reported run by run, or the degradation experiment. */
export const TRAINING_KINDS: readonly string[] = ['training', 'degradation'];
import { ExperimentStore } from './store.js';

/**
 * The plan of a training experiment (the degradation experiment, or any spec file): its spec's
 * runs and no measurement; a spec of kind 'degradation' also assembles its results.json from the
 * stored runs.
 */
export function trainingPlan(spec: ExperimentSpec): ExperimentPlan {
  // Checked before any run trains: a kind this plan cannot report on would fail only at the end.
  if (!TRAINING_KINDS.includes(spec.kind)) {
    throw new SpecError(`spec '${spec.name}': kind '${spec.kind}' is not a training experiment (a spec file is of kind ${TRAINING_KINDS.map((k) => `'${k}'`).join(' or ')}; the analysis experiments run by name, e.g. \`skiplab experiment lesion\`)`);
  }
  return {
    spec,
    training: [{ spec }],
    ...(spec.kind === 'degradation'
      ? { results: { schema: degradationResultsSchema, assemble: (context) => degradationResults(new ExperimentStore(context.root, spec)) } satisfies ExperimentPlan['results'] }
      : {}),
  };
}
