import { z } from 'zod';
import { convGradientRatio, gradientNormsByDepth } from '../../analysis/gradient-flow.js';
import { defineStep, measureJob } from '../measurement.js';
import type { ExperimentPlan } from '../plan.js';
import { gradientFlowResultsSchema, gradientSnapshotSchema, type GradientFlowModel } from '../results/gradient-flow.js';
import { analysisSpec, epochHistory, fixedBatches, plannedRun, resultsHeader } from './common.js';
import { analysisRecipe, givenSource, size, trainingSpec, type AnalysisSettings } from './settings.js';

/**
 * Vanishing gradients or not (Glorot & Bengio 2010; He et al. 2015 §4.1): per-layer gradient norms
 * at initialisation and after every epoch for five nets of (nearly) equal depth — plain with BN,
 * plain without BN, residual, highway and dense — on one fixed batch of training images. Each
 * net is an ordinary training run keeping every epoch's weights; each (net, epoch) is a shard.
 */
export const gradientFlowStep = defineStep({
  name: 'gradient-flow',
  params: z.strictObject({ epoch: z.number().int().nonnegative(), probe: z.number().int().positive() }),
  result: z.strictObject({ snapshot: gradientSnapshotSchema, parameters: z.number().int() }),
  async run(context, { epoch, probe }) {
    const model = await context.model('model');
    const data = context.data('model');
    const batch = fixedBatches(data.train.take(probe), data.stats, probe)[0]!;
    const flow = gradientNormsByDepth(model, batch);
    return {
      snapshot: { epoch, loss: flow.loss, firstToLastRatio: flow.firstToLastRatio, convActivationRatio: convGradientRatio(flow)?.activationRatio ?? null, layers: flow.layers.map(({ layer, depth, weightGradientNorm, activationGradientNorm, weightNorm }) => ({ layer, depth, weightGradientNorm, activationGradientNorm, weightNorm })) },
      parameters: model.parameterCount(),
    };
  },
});

type Family = Exclude<GradientFlowModel['family'], 'given'>;

export function gradientFlowPlan(settings: AnalysisSettings): ExperimentPlan {
  const spec = analysisSpec(settings, 'gradient-flow', 'Per-layer gradient norms at initialisation and over training: plain (with and without BN), residual, highway and dense nets of equal depth.');
  const depth = size(settings, 'depth', { quick: 20, full: 56 });
  const width = size(settings, 'width', { quick: 8, full: 16 });
  const probe = size(settings, 'probe', { quick: 64, full: 64 });
  const resnet = (skip: 'identity' | 'none') => ({ model: 'resnet_cifar', modelOptions: { depth, baseWidth: width, skip } });
  const nets: Record<Family, { name: string; lr: number; variant: Record<string, unknown> }> = {
    plain: { name: `plain-${depth}`, lr: 0.05, variant: resnet('none') },
    // Without batch norm the plain net needs a smaller step to train at all (Ioffe & Szegedy 2015).
    'plain-no-bn': { name: `plain-${depth} without BN`, lr: 0.01, variant: { ...resnet('none'), batchNorm: false, clipGradNorm: 5 } },
    residual: { name: `ResNet-${depth}`, lr: 0.05, variant: resnet('identity') },
    highway: { name: `highway-${depth}`, lr: 0.05, variant: { model: 'highway_conv', modelOptions: { depth: depth - 2, width } } },
    // The same count of weighted layers: stem + 3 dense blocks + 2 transitions + classifier.
    dense: { name: `DenseNet-${depth}`, lr: 0.05, variant: { model: 'densenet_cifar', modelOptions: { depth, growthRate: width / 2, bottleneck: false } } },
  };
  const training = trainingSpec(settings, `gradient-flow-nets-d${depth}-w${width}`, {
    description: 'Five nets of equal depth trained with the analysis recipe, keeping every epoch\'s weights for the gradient-flow measurement.',
    base: { weightSnapshots: 'every-epoch', ...analysisRecipe(settings, { epochs: size(settings, 'epochs', { quick: 2, full: 10 }), trainSubset: size(settings, 'trainSubset', { quick: 640, full: 20000 }), testSubset: probe }) },
    variants: Object.fromEntries(Object.entries(nets).map(([family, net]) => [family, { ...net.variant, lr: net.lr }])),
  });
  const epochs = training.base.epochs!;
  const families = Object.keys(nets) as Family[];
  const shard = (seed: number, family: string, epoch: number) => `seed-${seed}_${family}_epoch-${epoch}`;
  return {
    spec,
    training: settings.weights ? [] : [{ spec: training }],
    measurements: (context) => settings.seeds.flatMap((seed) => settings.weights
      ? [measureJob(spec.name, gradientFlowStep, shard(seed, 'given', 0), { model: givenSource(settings, seed) }, { epoch: 0, probe })]
      : families.flatMap((family) => Array.from({ length: epochs + 1 }, (_, epoch) => measureJob(spec.name, gradientFlowStep, shard(seed, family, epoch),
        { model: context.runSource(training, plannedRun(training, `${family}_seed-${seed}`), family, epoch) }, { epoch, probe })))),
    results: {
      schema: gradientFlowResultsSchema,
      assemble: (context) => ({
        ...resultsHeader('gradient-flow', settings, context),
        seeds: settings.seeds.map((seed) => {
          if (settings.weights) {
            const { snapshot, parameters } = context.shard(gradientFlowStep, shard(seed, 'given', 0)).result;
            return { seed, depth: null, models: [{ name: `given ${settings.weights.model}`, family: 'given' as const, weightedLayers: snapshot.layers.length, parameters, lr: null, snapshots: [snapshot], trainError: [] }] };
          }
          const models = families.map((family) => {
            const shards = Array.from({ length: epochs + 1 }, (_, epoch) => context.shard(gradientFlowStep, shard(seed, family, epoch)).result);
            const history = epochHistory(context.run(training, `${family}_seed-${seed}`));
            return {
              name: nets[family].name, family, weightedLayers: shards[0]!.snapshot.layers.length, parameters: shards[0]!.parameters, lr: nets[family].lr,
              snapshots: shards.map((s) => s.snapshot), trainError: history.map((h) => h.trainError),
            };
          });
          return { seed, depth, models };
        }),
      }),
    },
  };
}
