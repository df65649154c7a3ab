import { z } from 'zod';
import { linearProbe } from '../../analysis/probe.js';
import { blockOutputs, firstBlockInput } from '../../analysis/representations.js';
import { defineStep, measureJob } from '../measurement.js';
import type { ExperimentPlan } from '../plan.js';
import { probeSchema, transformerResidualResultsSchema } from '../results/transformer-residual.js';
import { analysisSpec, epochHistory, fixedBatches, last, parameterCountOf, plannedRun, resultsHeader } from './common.js';
import { analysisRecipe, pick, size, trainingSpec, type AnalysisSettings } from './settings.js';

/**
 * A pre-LN transformer (images read as sequences of rows) with and without its residual adds at
 * growing depth: training loss, test error, and a linear probe that recovers each token's position
 * from every block's output (the seeds' claim: residuals let the transformer keep track of where
 * each element is). Each (depth, skip) is a training run; each probe is a shard.
 */
export const transformerProbeStep = defineStep({
  name: 'transformer-probe',
  params: z.strictObject({ probe: z.number().int().positive() }),
  result: z.strictObject({ sequence: z.number().int(), probes: z.array(probeSchema), embeddingProbe: probeSchema }),
  async run(context, { probe }) {
    const model = await context.model('model');
    const data = context.data('model');
    const x = fixedBatches(data.test.take(probe), data.stats, probe)[0]!.x;
    const count = x.shape[0]!;
    const dim = Number(context.config('model').modelOptions.dim);
    // Every block's output (N, L, E), probed for the position of each token; the first 2/3 of the images fit the probe.
    const sequence = data.test.height;
    const fitOn = Math.floor((2 * count) / 3) * sequence;
    const targets = Int32Array.from({ length: count * sequence }, (_, r) => r % sequence);
    const probes = blockOutputs(model, x).map((o) => ({ block: o.block, ...linearProbe(o.features, dim, targets, sequence, (r) => r < fitOn) }));
    const embeddingProbe = { block: 'embeddings', ...linearProbe(firstBlockInput(model, x).features, dim, targets, sequence, (r) => r < fitOn) };
    return { sequence, probes, embeddingProbe };
  },
});

export function transformerResidualPlan(settings: AnalysisSettings): ExperimentPlan {
  const spec = analysisSpec(settings, 'transformer-residual', 'A pre-LN transformer with and without residual adds: training loss and a linear probe for token position.');
  const dim = size(settings, 'dim', { quick: 32, full: 64 });
  const depths = settings.sizes?.layers ? [settings.sizes.layers] : pick(settings.mode, { quick: [2, 4], full: [2, 4, 8, 12] });
  const probe = size(settings, 'testSubset', { quick: 96, full: 500 });
  const training = trainingSpec(settings, `transformer-dim${dim}`, {
    description: 'Pre-LN transformers over image rows with and without residual adds, trained with the analysis recipe (lr 0.01, gradients clipped at 1).',
    base: {
      model: 'transformer_classifier', modelOptions: { dim, heads: 4 }, weightSnapshots: 'ends', clipGradNorm: 1, logEverySteps: 4,
      ...analysisRecipe(settings, { epochs: size(settings, 'epochs', { quick: 3, full: 10 }), trainSubset: size(settings, 'trainSubset', { quick: 1536, full: 60000 }), testSubset: probe, lr: 0.01 }),
    },
    grid: { 'modelOptions.layers': depths, 'modelOptions.skip': ['identity', 'none'] },
  });
  const runId = (layers: number, skip: string, seed: number) => `layers-${layers}_skip-${skip}_seed-${seed}`;
  const pairs = depths.flatMap((layers) => (['identity', 'none'] as const).map((skip) => ({ layers, skip })));
  return {
    spec,
    training: [{ spec: training }],
    measurements: (context) => settings.seeds.flatMap((seed) => pairs.map(({ layers, skip }) => measureJob(spec.name, transformerProbeStep, `seed-${seed}_layers-${layers}_${skip}`,
      { model: context.runSource(training, plannedRun(training, runId(layers, skip, seed)), skip === 'none' ? 'no residual' : 'residual') }, { probe }))),
    results: {
      schema: transformerResidualResultsSchema,
      assemble: (context) => {
        const seeds = settings.seeds.map((seed) => {
          const measured = pairs.map(({ layers, skip }) => {
            const run = context.run(training, runId(layers, skip, seed));
            const history = epochHistory(run);
            const final = last(history)!;
            const { sequence, probes, embeddingProbe } = context.shard(transformerProbeStep, `seed-${seed}_layers-${layers}_${skip}`).result;
            return {
              sequence,
              run: {
                name: `${skip === 'none' ? 'no residual' : 'residual'}, ${layers} blocks`, layers, residual: skip === 'identity', parameters: parameterCountOf(run),
                losses: run.readMetrics().filter((r) => r.kind === 'step').map((r) => ({ step: r.step, loss: Number(r.loss) })),
                trainLoss: history.map((h) => h.trainLoss), finalTrainError: final.trainError, finalTestError: final.testError ?? null, probes, embeddingProbe,
              },
            };
          });
          return { seed, dim, sequence: measured[0]!.sequence, runs: measured.map((m) => m.run) };
        });
        return { ...resultsHeader('transformer-residual', settings, context), seeds };
      },
    },
  };
}
