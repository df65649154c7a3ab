import { z } from 'zod';
import { featureReuse, featureReuseChange } from '../../analysis/feature-reuse.js';
import { defineStep, measureJob } from '../measurement.js';
import type { AssemblyContext, ExperimentPlan } from '../plan.js';
import { denseBlockReuseSchema, featureReuseResultsSchema } from '../results/feature-reuse.js';
import type { ExperimentSpec } from '../spec.js';
import { analysisSpec, epochHistory, fixedBatches, last, plannedRun, resultsHeader, twinTraining } from './common.js';
import { analysisRecipe, pick, trainingSpec, twinRun, twinSizes, twinsSpec, type AnalysisSettings } from './settings.js';

/**
 * DenseNet feature reuse (Huang et al. 2017 §5, Fig. 5) on a trained DenseNet-BC, and a parameter
 * efficiency table: DenseNet-BC vs the residual twin, trained with the same recipe on the same
 * data. One shard per seed.
 */
export const featureReuseStep = defineStep({
  name: 'feature-reuse',
  params: z.strictObject({}),
  result: z.strictObject({ blocks: z.array(denseBlockReuseSchema) }),
  async run(context) {
    const data = context.data('model');
    // A few test images: featureReuse runs the model once to see which channels each layer reads.
    return { blocks: featureReuse(await context.model('model'), fixedBatches(data.test.take(8), data.stats, 8)[0]!.x) };
  },
});

/** Stored measurements with NaN (no connection) back from JSON's null. */
const unstored = (blocks: readonly z.infer<typeof denseBlockReuseSchema>[]) => blocks.map((b) => ({
  block: b.block, weights: b.weights.map((row) => row.map((v) => v ?? NaN)), normalized: b.normalized.map((row) => row.map((v) => v ?? NaN)),
}));

function denseSpec(settings: AnalysisSettings): { spec: ExperimentSpec; name: string } {
  const s = twinSizes(settings);
  const { depth, growth } = pick(settings.mode, { quick: { depth: 28, growth: 8 }, full: { depth: 100, growth: 12 } });
  const spec = trainingSpec(settings, `densenet-bc${depth}-k${growth}`, {
    description: 'DenseNet-BC trained with the analysis recipe, for feature reuse.',
    base: { model: 'densenet_cifar', modelOptions: { depth, growthRate: growth, bottleneck: true }, weightSnapshots: 'ends', ...analysisRecipe(settings, { epochs: s.epochs, trainSubset: s.trainSubset, testSubset: s.testSubset }) },
  });
  return { spec, name: `DenseNet-BC (L=${depth}, k=${growth})` };
}

/** A table row from a stored run: its size and its final training and test error. */
function tableRow(context: AssemblyContext, spec: ExperimentSpec, id: string, name: string) {
  const run = context.run(spec, id);
  const final = last(epochHistory(run));
  const parameters = run.readSummary()?.parameterCount;
  if (!final || typeof parameters !== 'number') throw new Error(`${run.path}: no finished epoch or parameter count to report`);
  return { name, parameters, trainError: final.trainError, testError: final.testError ?? null };
}

export function featureReusePlan(settings: AnalysisSettings): ExperimentPlan {
  const spec = analysisSpec(settings, 'feature-reuse', 'Huang et al. 2017 Fig. 5: how strongly each DenseNet layer uses the feature maps of each earlier layer; parameter efficiency vs ResNet.');
  const dense = denseSpec(settings);
  const twins = twinsSpec(settings);
  return {
    spec,
    training: [{ spec: dense.spec }, ...twinTraining(settings, ['identity'])],
    // The trained net and the same net at initialisation: the claim is about what training changed.
    measurements: (context) => settings.seeds.flatMap((seed) => [
      measureJob(spec.name, featureReuseStep, `seed-${seed}_dense`, { model: context.runSource(dense.spec, plannedRun(dense.spec, `seed-${seed}`), 'dense') }, {}),
      measureJob(spec.name, featureReuseStep, `seed-${seed}_dense-initial`, { model: context.runSource(dense.spec, plannedRun(dense.spec, `seed-${seed}`), 'dense at initialisation', 0) }, {}),
    ]),
    results: {
      schema: featureReuseResultsSchema,
      assemble: (context) => ({
        ...resultsHeader('feature-reuse', settings, context),
        seeds: settings.seeds.map((seed) => {
          const blocks = context.shard(featureReuseStep, `seed-${seed}_dense`).result.blocks;
          const initialBlocks = context.shard(featureReuseStep, `seed-${seed}_dense-initial`).result.blocks;
          const { initial, trained, change } = featureReuseChange(unstored(initialBlocks), unstored(blocks));
          const finite = (v: number) => (Number.isFinite(v) ? v : null);
          return {
          seed, blocks, initialBlocks,
          nonPredecessorShare: { initial: finite(initial), trained: finite(trained), change: finite(change) },
          table: [tableRow(context, dense.spec, `seed-${seed}`, dense.name), tableRow(context, twins, twinRun('identity', seed), `ResNet-${twinSizes(settings).depth}`)],
          };
        }),
      }),
    },
  };
}
