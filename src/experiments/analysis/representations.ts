import { z } from 'zod';
import { blockOutputs, ckaMatrix, residualRatios, snapshotWeights, weightDrift } from '../../analysis/representations.js';
import { defineStep, measureJob } from '../measurement.js';
import type { ExperimentPlan } from '../plan.js';
import { measured } from '../results/header.js';
import { blockChangeSchema, representationsResultsSchema, weightDriftSchema } from '../results/representations.js';
import { analysisSpec, depthOf, familiesOf, fixedBatches, resultsHeader, twinSources, twinTraining } from './common.js';
import { size, type AnalysisSettings } from './settings.js';

/**
 * How slowly representations change (Veit et al. 2016 §6; Greff et al. 2017; Kornblith et al. 2019):
 * ‖F(x)‖/‖x‖ and ‖y − x‖/‖x‖ per block, linear CKA between all block outputs, and the relative
 * weight drift ‖W_t − W_0‖/‖W_0‖ of every layer (from the run's initial weights), for the trained
 * residual net and its plain twin, or given weights. One shard per model.
 */
export const representationsStep = defineStep({
  name: 'representations',
  params: z.strictObject({ images: z.number().int().positive() }),
  result: z.strictObject({ parameters: z.number().int(), images: z.number().int().positive(), blocks: z.array(z.string()), ratios: z.array(blockChangeSchema), cka: z.array(z.array(measured)), drift: z.array(weightDriftSchema).nullable() }),
  async run(context, { images }) {
    const model = await context.model('model');
    const data = context.data('model');
    const x = fixedBatches(data.test.take(images), data.stats, images)[0]!.x;
    const outputs = blockOutputs(model, x);
    const drift = context.job.sources.initial ? weightDrift(snapshotWeights(await context.model('initial')), model) : null;
    return { parameters: model.parameterCount(), images: x.shape[0]!, blocks: outputs.map((o) => o.block), ratios: residualRatios(model, x), cka: ckaMatrix(outputs, x.shape[0]!), drift };
  },
});

export function representationsPlan(settings: AnalysisSettings): ExperimentPlan {
  const spec = analysisSpec(settings, 'representations', 'How much each block changes its input, how similar the block outputs are (linear CKA), and how far weights move in training.');
  const images = size(settings, 'images', { quick: 128, full: 500 });
  const shard = (seed: number, family: string) => `seed-${seed}_${family}`;
  return {
    spec,
    training: twinTraining(settings),
    measurements: (context) => settings.seeds.flatMap((seed) => {
      const initial = settings.weights ? [] : twinSources(settings, context, seed, ['identity', 'none'], 0);
      return twinSources(settings, context, seed).map(({ family, source }, i) => measureJob(spec.name, representationsStep, shard(seed, family),
        { model: source, ...(initial[i] ? { initial: { ...initial[i]!.source, label: `${family} at initialisation` } } : {}) }, { images }));
    }),
    results: {
      schema: representationsResultsSchema,
      assemble: (context) => ({
        ...resultsHeader('representations', settings, context),
        seeds: settings.seeds.map((seed) => {
          const measured = familiesOf(context.jobs, seed).map((family) => ({ family, ...context.shard(representationsStep, shard(seed, family)).result }));
          return { seed, depth: depthOf(settings, context.jobs, seed), images: measured[0]!.images, models: measured.map(({ images: _, ...m }) => m) };
        }),
      }),
    },
  };
}
