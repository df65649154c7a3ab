import { z } from 'zod';
import { gradientByPathLength } from '../../analysis/paths.js';
import { Rng } from '../../tensor/rng.js';
import { defineStep, measureJob } from '../measurement.js';
import type { ExperimentPlan } from '../plan.js';
import { pathsResultsSchema } from '../results/paths.js';
import { analysisSpec, depthOf, epochHistory, fixedBatches, last, plannedRun, resultsHeader, twinSources, twinTraining } from './common.js';
import { size, twinRun, twinsSpec, type AnalysisSettings } from './settings.js';

/**
 * Veit et al. 2016 §4.2 / Fig. 6 on the trained residual twin (or given weights): path-length
 * distribution (Binomial(n, 1/2)), gradient magnitude reaching the input per path length (sampled
 * paths), their product, and the range of lengths that carries 90 % of the gradient. One shard
 * per seed. Every residual block counts, downsampling ones included: the unraveled view (§3)
 * enters or skips each of them (the paper's ResNet-110 has 54 such blocks), unlike the lesion
 * study, which deletes only shape-keeping ones. The standard tier measures the ResNet-56 twins
 * lesion trains (one training folder).
 */
const analysisSchema = pathsResultsSchema.shape.seeds.element.omit({ seed: true, depth: true, finalTrainError: true, paper: true });

export const pathsStep = defineStep({
  name: 'paths',
  params: z.strictObject({ seed: z.number().int().nonnegative(), images: z.number().int().positive(), samplesPerLength: z.number().int().positive() }),
  result: analysisSchema,
  async run(context, { seed, images, samplesPerLength }) {
    const model = await context.model('model');
    const data = context.data('model');
    const batch = fixedBatches(data.test.take(images), data.stats, images)[0]!;
    return gradientByPathLength(model, batch, { rng: new Rng(seed + 7), samplesPerLength, coverage: 0.9 });
  },
});

export function pathsPlan(settings: AnalysisSettings): ExperimentPlan {
  const spec = analysisSpec(settings, 'paths', 'Veit et al. 2016: residual nets as ensembles of paths — path lengths, gradient per length, and the effective paths.');
  const images = size(settings, 'images', { quick: 32, standard: 128, full: 128 });
  const samplesPerLength = size(settings, 'samplesPerLength', { quick: 3, standard: 4, full: 10 });
  const shard = (seed: number) => `seed-${seed}_model`;
  return {
    spec,
    training: twinTraining(settings, ['identity']),
    measurements: (context) => settings.seeds.map((seed) => measureJob(spec.name, pathsStep, shard(seed), { model: twinSources(settings, context, seed, ['identity'])[0]!.source }, { seed, images, samplesPerLength })),
    results: {
      schema: pathsResultsSchema,
      assemble: (context) => ({
        ...resultsHeader('paths', settings, context),
        seeds: settings.seeds.map((seed) => {
          const trained = settings.weights ? null : last(epochHistory(context.run(twinsSpec(settings), plannedRun(twinsSpec(settings), twinRun('identity', seed)))));
          return {
            seed, depth: depthOf(settings, context.jobs, seed), finalTrainError: trained?.trainError ?? null,
            ...context.shard(pathsStep, shard(seed)).result,
            paper: { blocks: 54, effectiveFrom: 5, effectiveTo: 17, model: 'ResNet-110 on CIFAR-10' },
          };
        }),
      }),
    },
  };
}
