import { gradientNormsByDepth, type GradientFlow } from '../analysis/gradient-flow.js';
import { withoutBatchNorm } from '../analysis/surgery.js';
import { createModel } from '../models/registry.js';
import type { SkipModel } from '../models/skip-model.js';
import { Rng } from '../tensor/rng.js';
import { fixedBatches, imageData, pick, secondsSince, trainModel, writeResults, type AnalysisContext } from './analysis-common.js';
import { smallDenseNet } from './analysis-models.js';

export interface GradientFlowSnapshot {
  /** 0 = at initialisation, e = after epoch e. */
  epoch: number;
  loss: number;
  firstToLastRatio: number;
  layers: { layer: string; depth: number; weightGradientNorm: number; activationGradientNorm: number; weightNorm: number }[];
}

export interface GradientFlowModelResult {
  name: string;
  family: 'plain' | 'plain-no-bn' | 'residual' | 'highway' | 'dense';
  weightedLayers: number;
  parameters: number;
  lr: number;
  snapshots: GradientFlowSnapshot[];
  trainError: number[];
}

const snapshot = (epoch: number, flow: GradientFlow): GradientFlowSnapshot => ({
  epoch, loss: flow.loss, firstToLastRatio: flow.firstToLastRatio,
  layers: flow.layers.map((l) => ({ layer: l.layer, depth: l.depth, weightGradientNorm: l.weightGradientNorm, activationGradientNorm: l.activationGradientNorm, weightNorm: l.weightNorm })),
});

/**
 * Vanishing gradients or not (Glorot & Bengio 2010; He et al. 2015 §4.1): per-layer gradient norms
 * at initialisation and after every epoch for five nets of (nearly) equal depth — plain with BN,
 * plain without BN, residual, highway and dense — on one fixed batch.
 */
export async function runGradientFlow(context: AnalysisContext): Promise<string> {
  const started = performance.now();
  const s = pick(context.mode, { depth: 20, width: 8, train: 640, epochs: 2 }, { depth: 56, width: 16, train: 20000, epochs: 10 });
  const data = imageData(context, s.train, 64);
  const probe = fixedBatches(data.train.take(64), data.stats, 64)[0]!;
  const io = { inChannels: data.train.channels, numClasses: data.train.numClasses };
  // DenseNet with the same count of weighted layers: stem + 3 blocks + 2 transitions + classifier.
  const denseLayers = s.depth - 4;
  const denseBlocks = [Math.floor(denseLayers / 3), Math.floor(denseLayers / 3), denseLayers - 2 * Math.floor(denseLayers / 3)];
  const specs: { name: string; family: GradientFlowModelResult['family']; lr: number; build: () => SkipModel; noBatchNorm?: boolean }[] = [
    { name: `plain-${s.depth}`, family: 'plain', lr: 0.05, build: () => createModel('resnet_cifar', { depth: s.depth, skip: 'none', baseWidth: s.width, ...io, rng: new Rng(context.seed + 1) }) },
    // Without batch norm the plain net needs a smaller step to train at all (Ioffe & Szegedy 2015).
    { name: `plain-${s.depth} without BN`, family: 'plain-no-bn', lr: 0.01, noBatchNorm: true, build: () => createModel('resnet_cifar', { depth: s.depth, skip: 'none', baseWidth: s.width, ...io, rng: new Rng(context.seed + 1) }) },
    { name: `ResNet-${s.depth}`, family: 'residual', lr: 0.05, build: () => createModel('resnet_cifar', { depth: s.depth, baseWidth: s.width, ...io, rng: new Rng(context.seed + 1) }) },
    { name: `highway-${s.depth}`, family: 'highway', lr: 0.05, build: () => createModel('highway_conv', { depth: s.depth - 2, width: s.width, ...io, rng: new Rng(context.seed + 1) }) },
    { name: `DenseNet-${s.depth}`, family: 'dense', lr: 0.05, build: () => smallDenseNet(context, { blockConfig: denseBlocks, growthRate: s.width / 2, ...io }) },
  ];
  const models: GradientFlowModelResult[] = [];
  for (const spec of specs) {
    const model = spec.build();
    const restore = spec.noBatchNorm ? withoutBatchNorm(model) : () => {};
    try {
      const snapshots = [snapshot(0, gradientNormsByDepth(model, probe))];
      const trainError: number[] = [];
      await trainModel(model, { train: data.train, stats: data.stats }, {
        epochs: s.epochs, lr: spec.lr, seed: context.seed, clipGradNorm: spec.noBatchNorm ? 5 : undefined,
        onEpoch: (r) => {
          trainError.push(r.trainError);
          snapshots.push(snapshot(r.epoch + 1, gradientNormsByDepth(model, probe)));
          context.progress(`gradient-flow: ${spec.name} epoch ${r.epoch + 1}/${s.epochs}, train error ${(r.trainError * 100).toFixed(1)} %`);
        },
      });
      models.push({ name: spec.name, family: spec.family, weightedLayers: snapshots[0]!.layers.length, parameters: model.parameterCount(), lr: spec.lr, snapshots, trainError });
    } finally {
      restore();
    }
  }
  return writeResults(context, 'gradient-flow', 'Per-layer gradient norms at initialisation and over training: plain (with and without BN), residual, highway and dense nets of equal depth.',
    { model: 'resnet_cifar', epochs: s.epochs, trainSubset: s.train }, { depth: s.depth, seconds: secondsSince(started), models });
}
