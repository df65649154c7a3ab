import { z } from 'zod';
import { crossEntropy } from '../../autograd/functions/cross-entropy.js';
import { HESSIAN_LANCZOS_STEPS, hessianEigenRatio } from '../../analysis/hessian.js';
import { filterNormalizedDirection, linspace, lossLandscape1d, lossLandscape2d } from '../../analysis/landscape.js';
import { Rng } from '../../tensor/rng.js';
import { defineStep, measureJob, type MeasureContext } from '../measurement.js';
import type { ExperimentPlan } from '../plan.js';
import { hessianSchema, landscapeResultsSchema } from '../results/landscape.js';
import { measured } from '../results/header.js';
import { analysisSpec, depthOf, familiesOf, fixedBatches, resultsHeader, twinSources, twinTraining, type TwinFamily } from './common.js';
import { size, type AnalysisSettings } from './settings.js';

/**
 * Li et al. 2018 §4-6 on the trained twins (or given weights): 1-D and 2-D training-loss surfaces
 * along filter-normalised random directions (BN parameters and biases excluded) and the
 * Hessian's |λ_min/λ_max| at the minimum. The 2-D surface is computed one row (one α) per shard,
 * so it spreads over every worker and a killed run resumes from its finished rows; the 1-D line
 * and each Hessian are shards of their own.
 */

const seedParams = { seed: z.number().int().nonnegative(), images: z.number().int().positive() };

/** The measured model, its data, and the two directions every shard of one model shares. */
async function surfaceSetup(context: MeasureContext, seed: number, images: number) {
  const model = await context.model('model');
  const data = context.data('model');
  const batches = fixedBatches(data.train.take(images), data.stats, 128);
  // The same seeds for every model: twins' directions differ only through their weights' filter norms.
  const d1 = filterNormalizedDirection(model, new Rng(seed + 11));
  const d2 = filterNormalizedDirection(model, new Rng(seed + 12));
  return { model, batches, d1, d2 };
}

export const landscapeLineStep = defineStep({
  name: 'landscape-line',
  params: z.strictObject({ ...seedParams, points: z.number().int().min(2) }),
  result: z.strictObject({ parameters: z.number().int(), line: z.array(z.strictObject({ alpha: z.number(), loss: measured })) }),
  async run(context, { seed, images, points }) {
    const { model, batches, d1 } = await surfaceSetup(context, seed, images);
    return { parameters: model.parameterCount(), line: lossLandscape1d(model, d1, batches, linspace(-1, 1, points)) };
  },
});

export const landscapeRowStep = defineStep({
  name: 'landscape-row',
  params: z.strictObject({ ...seedParams, points: z.number().int().min(2), row: z.number().int().nonnegative() }),
  result: z.strictObject({ alpha: z.number(), betas: z.array(z.number()), losses: z.array(measured) }),
  async run(context, { seed, images, points, row }) {
    const { model, batches, d1, d2 } = await surfaceSetup(context, seed, images);
    const grid = linspace(-1, 1, points);
    const surface = lossLandscape2d(model, d1, d2, batches, [grid[row]!], grid);
    return { alpha: grid[row]!, betas: surface.betas, losses: surface.losses[0]! };
  },
});

export const landscapeHessianStep = defineStep({
  name: 'landscape-hessian',
  params: z.strictObject({ ...seedParams, iterations: z.number().int().positive() }),
  result: hessianSchema,
  async run(context, { seed, images, iterations }) {
    const { model, batches } = await surfaceSetup(context, seed, images);
    // The Hessian of the mean loss over the first batch (the landscape's own data in quick mode).
    const probe = batches[0]!;
    return hessianEigenRatio(model, () => crossEntropy(model.forward(probe.x), probe.y), { rng: new Rng(seed + 13), iterations });
  },
});

export function landscapePlan(settings: AnalysisSettings): ExperimentPlan {
  const spec = analysisSpec(settings, 'landscape', 'Li et al. 2018: filter-normalised loss surfaces and Hessian eigenvalue ratio, residual vs plain at the same depth.');
  const images = size(settings, 'images', { quick: 128, full: 2500 });
  const line = size(settings, 'line', { quick: 11, full: 41 });
  const grid = size(settings, 'grid', { quick: 7, full: 31 });
  const iterations = size(settings, 'hessianIterations', HESSIAN_LANCZOS_STEPS);
  const shard = (seed: number, family: TwinFamily, part: string) => `seed-${seed}_${family}_${part}`;
  return {
    spec,
    training: twinTraining(settings),
    measurements: (context) => settings.seeds.flatMap((seed) => twinSources(settings, context, seed).flatMap(({ family, source }) => [
      ...Array.from({ length: grid }, (_, row) => measureJob(spec.name, landscapeRowStep, shard(seed, family, `row-${row}`), { model: source }, { seed, images, points: grid, row })),
      measureJob(spec.name, landscapeLineStep, shard(seed, family, 'line'), { model: source }, { seed, images, points: line }),
      measureJob(spec.name, landscapeHessianStep, shard(seed, family, 'hessian'), { model: source }, { seed, images, iterations }),
    ])),
    results: {
      schema: landscapeResultsSchema,
      assemble: (context) => ({
        ...resultsHeader('landscape', settings, context),
        seeds: settings.seeds.map((seed) => {
          const models = familiesOf(context.jobs, seed).map((family) => {
            const rows = Array.from({ length: grid }, (_, row) => context.shard(landscapeRowStep, shard(seed, family, `row-${row}`)).result);
            const { parameters, line } = context.shard(landscapeLineStep, shard(seed, family, 'line')).result;
            return {
              family, parameters, line,
              surface: { alphas: rows.map((r) => r.alpha), betas: rows[0]!.betas, losses: rows.map((r) => r.losses) },
              hessian: context.shard(landscapeHessianStep, shard(seed, family, 'hessian')).result,
            };
          });
          return { seed, depth: depthOf(settings, context.jobs, seed), images, models };
        }),
      }),
    },
  };
}
