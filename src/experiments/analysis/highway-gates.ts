import { z } from 'zod';
import { highwayGateActivity } from '../../analysis/feature-reuse.js';
import { datasetShape } from '../../data/registry.js';
import { parameterMatchedTwin } from '../../models/parameter-matching.js';
import { modelOptionsForData } from '../../train/model-input.js';
import { defineStep, measureJob } from '../measurement.js';
import type { ExperimentPlan } from '../plan.js';
import { gateSnapshotSchema, highwayGatesResultsSchema } from '../results/highway-gates.js';
import { analysisSpec, epochHistory, fixedBatches, parameterCountOf, plannedRun, resultsHeader } from './common.js';
import { analysisRecipe, size, trainingSpec, type AnalysisSettings } from './settings.js';

/**
 * Transform-gate activity of a fully connected highway network (Srivastava et al. 2015 §4.1,
 * Fig. 2) at initialisation and after every epoch: mean gate by depth, and the fraction of
 * examples for which a layer's gates are nearly closed (the layer mostly carries its input);
 * training error of the highway net and its plain twin, the twin widened to the same parameter
 * count (§4.1). One shard per seed and epoch.
 */
export const highwayGatesStep = defineStep({
  name: 'highway-gates',
  params: z.strictObject({ epoch: z.number().int().nonnegative(), probe: z.number().int().positive() }),
  result: gateSnapshotSchema,
  async run(context, { epoch, probe }) {
    const data = context.data('model');
    const x = fixedBatches(data.test.take(probe), data.stats, probe)[0]!.x;
    const layers = highwayGateActivity(await context.model('model'), x);
    return { epoch, layers: layers.map((l) => ({ layer: l.layer, meanGate: l.meanGate, closedFraction: l.closedFraction, perExample: l.perExample.slice(0, 20) })) };
  },
});

export function highwayGatesPlan(settings: AnalysisSettings): ExperimentPlan {
  const spec = analysisSpec(settings, 'highway-gates', 'Srivastava et al. 2015: transform-gate activity per layer and per example over training, and training error of the highway net vs its plain twin.');
  const depth = size(settings, 'depth', { quick: 20, full: 50 });
  const width = size(settings, 'width', { quick: 50, full: 50 });
  const probe = size(settings, 'testSubset', { quick: 500, full: 500 });
  // Srivastava et al. 2015 §4.1 widened the plain nets to the highway nets' parameter count; the
  // twin's width is the one whose whole-net count, on this data's input size, is nearest
  // (on 28x28 images: 66 for depth 20, 69 for 50).
  const options = modelOptionsForData('highway_fc', { depth, width }, datasetShape(settings.dataset, { dataDir: settings.dataDir }));
  const plainWidth = parameterMatchedTwin('highway_fc', options)?.value ?? width;
  const training = trainingSpec(settings, `highway-fc-d${depth}-w${width}-p${plainWidth}`, {
    description: 'A fully connected highway net and its plain twin widened to the same parameter count, trained with the analysis recipe, keeping every epoch\'s weights.',
    base: { model: 'highway_fc', modelOptions: { depth, width }, weightSnapshots: 'every-epoch', ...analysisRecipe(settings, { epochs: size(settings, 'epochs', { quick: 4, full: 20 }), trainSubset: size(settings, 'trainSubset', { quick: 4096, full: 60000 }), testSubset: probe }) },
    grid: { 'modelOptions.skip': ['gated', 'none'] },
    overrides: [{ where: { 'modelOptions.skip': 'none' }, set: { modelOptions: { width: plainWidth } } }],
  });
  const epochs = training.base.epochs!;
  const shard = (seed: number, epoch: number) => `seed-${seed}_highway_epoch-${epoch}`;
  return {
    spec,
    training: [{ spec: training }],
    measurements: (context) => settings.seeds.flatMap((seed) => Array.from({ length: epochs + 1 }, (_, epoch) => measureJob(spec.name, highwayGatesStep, shard(seed, epoch),
      { model: context.runSource(training, plannedRun(training, `skip-gated_seed-${seed}`), 'highway', epoch) }, { epoch, probe }))),
    results: {
      schema: highwayGatesResultsSchema,
      assemble: (context) => ({
        ...resultsHeader('highway-gates', settings, context),
        seeds: settings.seeds.map((seed) => ({
          seed, depth, width, plainWidth,
          models: (['gated', 'none'] as const).map((skip) => {
            const run = context.run(training, `skip-${skip}_seed-${seed}`);
            const history = epochHistory(run);
            return {
              family: skip === 'gated' ? 'highway' as const : 'plain' as const, parameters: parameterCountOf(run),
              trainError: history.map((h) => h.trainError), testError: history.map((h) => h.testError ?? null),
              gates: skip === 'gated' ? Array.from({ length: epochs + 1 }, (_, epoch) => context.shard(highwayGatesStep, shard(seed, epoch)).result) : [],
            };
          }),
        })),
      }),
    },
  };
}
