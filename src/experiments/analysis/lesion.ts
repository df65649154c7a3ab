import { z } from 'zod';
import { classificationError, lesionableBlocks, lesionEachBlock, withLesions } from '../../analysis/lesion.js';
import { Rng } from '../../tensor/rng.js';
import { defineStep, measureJob, type MeasureContext } from '../measurement.js';
import type { ExperimentPlan } from '../plan.js';
import { lesionResultsSchema, randomLesionsSchema, singleLesionSchema } from '../results/lesion.js';
import { analysisSpec, depthOf, familiesOf, fixedBatches, resultsHeader, twinSources, twinTraining } from './common.js';
import { size, type AnalysisSettings } from './settings.js';

/**
 * Veit et al. 2016 §4 (Fig. 3 and 5a): delete single blocks at test time, then k random blocks,
 * in the trained residual net and its plain twin (or in given weights). Only the blocks that keep
 * their input's shape are deleted (`lesionableBlocks`): the downsampling blocks are left out, as
 * Veit et al. leave them out of their claim, and are listed as excluded. Twins have the same
 * shape-keeping blocks, and a trial's seeded draw picks the same ones in both, so the comparison
 * is like for like. Shards: one per model for the single deletions, one per model and trial for
 * the random ones.
 */

const testBatches = (context: MeasureContext) => {
  const data = context.data('model');
  return fixedBatches(data.test, data.stats, 128);
};

export const lesionSingleStep = defineStep({
  name: 'lesion-single',
  // Which blocks are deleted is part of the job, so a shard stored when downsampling blocks were deleted too is measured again.
  params: z.strictObject({ blocks: z.literal('shape-keeping') }),
  result: z.strictObject({ baseline: z.number(), testImages: z.number().int(), parameters: z.number().int(), single: z.array(singleLesionSchema), excluded: z.array(z.string()) }),
  async run(context) {
    const model = await context.model('model');
    const batches = testBatches(context);
    const { baseline, lesions, excluded } = lesionEachBlock(model, batches);
    return { baseline, testImages: context.data('model').test.count, parameters: model.parameterCount(), single: lesions, excluded };
  },
});

export const lesionRandomStep = defineStep({
  name: 'lesion-random',
  params: z.strictObject({ seed: z.number().int().nonnegative(), trial: z.number().int().nonnegative() }),
  result: z.strictObject({ candidates: z.array(z.string()), errors: z.array(z.number()) }),
  async run(context, { seed, trial }) {
    const model = await context.model('model');
    const batches = testBatches(context);
    const candidates = lesionableBlocks(model, batches[0]!.x);
    // One stream per trial, so trials are shards that can run anywhere in any order.
    let rng = new Rng(seed + 3);
    for (let t = 0; t <= trial; t++) rng = rng.fork();
    const errors = candidates.map((_, i) => {
      const chosen = Array.from(rng.permutation(candidates.length).subarray(0, i + 1), (j) => candidates[j]!);
      return withLesions(model, chosen, () => classificationError(model, batches));
    });
    return { candidates, errors };
  },
});

export function lesionPlan(settings: AnalysisSettings): ExperimentPlan {
  const spec = analysisSpec(settings, 'lesion', 'Veit et al. 2016: deleting blocks at test time — residual nets degrade smoothly, plain nets collapse.');
  const trials = size(settings, 'trials', { quick: 2, standard: 2, full: 10 });
  const shard = (seed: number, family: string, rest = '') => `seed-${seed}_${family}${rest}`;
  return {
    spec,
    training: twinTraining(settings),
    measurements: (context) => settings.seeds.flatMap((seed) => twinSources(settings, context, seed).flatMap(({ family, source }) => [
      measureJob(spec.name, lesionSingleStep, shard(seed, family), { model: source }, { blocks: 'shape-keeping' }),
      ...Array.from({ length: trials }, (_, trial) => measureJob(spec.name, lesionRandomStep, shard(seed, family, `_trial-${trial}`), { model: source }, { seed, trial })),
    ])),
    results: {
      schema: lesionResultsSchema,
      assemble: (context) => ({
        ...resultsHeader('lesion', settings, context),
        seeds: settings.seeds.map((seed) => {
          const families = familiesOf(context.jobs, seed);
          const models = families.map((family) => {
            const single = context.shard(lesionSingleStep, shard(seed, family)).result;
            const draws = Array.from({ length: trials }, (_, trial) => context.shard(lesionRandomStep, shard(seed, family, `_trial-${trial}`)).result);
            const random = draws[0]!.candidates.map((_, k) => {
              const errors = draws.map((d) => d.errors[k]!);
              return randomLesionsSchema.parse({ deleted: k + 1, meanError: errors.reduce((a, b) => a + b, 0) / errors.length, errors });
            });
            return { family, parameters: single.parameters, baseline: single.baseline, single: single.single, random, candidates: draws[0]!.candidates, excluded: single.excluded };
          });
          return { seed, depth: depthOf(settings, context.jobs, seed), testImages: context.shard(lesionSingleStep, shard(seed, families[0]!)).result.testImages, models };
        }),
      }),
    },
  };
}
