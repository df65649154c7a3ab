import { z } from 'zod';
import { featureReuse, featureReuseChange } from '../../analysis/feature-reuse.js';
import { defineStep, measureJob } from '../measurement.js';
import type { AssemblyContext, ExperimentPlan } from '../plan.js';
import { denseBlockReuseSchema, featureReuseResultsSchema } from '../results/feature-reuse.js';
import type { ExperimentSpec } from '../spec.js';
import { analysisSpec, epochHistory, fixedBatches, last, plannedRun, resultsHeader, twinTraining } from './common.js';
import { analysisRecipe, pick, trainingSpec, twinRun, twinSizes, twinsSpec, type AnalysisSettings } from './settings.js';

/**
 * DenseNet feature reuse (Huang et al. 2017 §5, Fig. 5) on a trained DenseNet, measured against
 * the same net at initialisation, and a parameter efficiency table: the DenseNet vs the residual
 * twin, trained with the same recipe on the same data. One shard per seed and snapshot.
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

/**
 * The DenseNet of Huang et al. 2017 Fig. 5: without bottlenecks or compression (each layer one
 * BN-ReLU-3x3 conv reading every earlier layer's maps, transitions keeping the width, θ = 1),
 * a 16-channel stem (§3); L = 40, k = 12 in full (1.0M parameters, Table 2). Quick: L = 19,
 * k = 6 — three blocks of 5 layers, 13M multiply-adds per 28x28 image against the 15M of the
 * DenseNet-BC (L = 28, k = 8, blocks of 4) it replaces.
 */
export function featureReuseDenseNet(settings: AnalysisSettings): { depth: number; growthRate: number; modelOptions: Record<string, number | boolean>; name: string } {
  const { depth, growthRate } = pick(settings.mode, { quick: { depth: 19, growthRate: 6 }, full: { depth: 40, growthRate: 12 } });
  return { depth, growthRate, modelOptions: { depth, growthRate, bottleneck: false, compression: 1, initFeatures: 16 }, name: `DenseNet (L=${depth}, k=${growthRate})` };
}

function denseSpec(settings: AnalysisSettings): { spec: ExperimentSpec; name: string } {
  const s = twinSizes(settings);
  const net = featureReuseDenseNet(settings);
  const spec = trainingSpec(settings, `densenet${net.depth}-k${net.growthRate}`, {
    description: 'DenseNet (no bottleneck, no compression) trained with the analysis recipe, for feature reuse.',
    base: { model: 'densenet_cifar', modelOptions: net.modelOptions, weightSnapshots: 'ends', ...analysisRecipe(settings, { epochs: s.epochs, trainSubset: s.trainSubset, testSubset: s.testSubset }) },
  });
  return { spec, name: net.name };
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
