import { DenseNet } from '../models/densenet.js';
import { createModel } from '../models/registry.js';
import type { ResNetCifar } from '../models/resnet-cifar.js';
import { Rng } from '../tensor/rng.js';
import { imageData, pick, trainedModel, trainModel, type AnalysisContext, type ImageData, type TrainedModel } from './analysis-common.js';

/** Sizes shared by the experiments that analyse a trained residual net and its plain twin. */
export function twinSettings(context: AnalysisContext): { depth: number; baseWidth: number; trainCount: number; testCount: number; epochs: number } {
  return pick(context.mode,
    { depth: 20, baseWidth: 8, trainCount: 2048, testCount: 256, epochs: 4 },
    { depth: 56, baseWidth: 16, trainCount: 60000, testCount: 10000, epochs: 30 });
}

let dataCache: { key: string; data: ImageData } | null = null;

/** The twins' data (loaded once per process). */
export function twinData(context: AnalysisContext): ImageData {
  const s = twinSettings(context);
  const key = `${context.dataset}-${s.trainCount}-${s.testCount}-${context.seed}`;
  if (dataCache?.key !== key) dataCache = { key, data: imageData(context, s.trainCount, s.testCount) };
  return dataCache.data;
}

/**
 * The CIFAR ResNet of `twinSettings` (residual or its plain twin, option A shortcuts), trained once
 * per store with the shared recipe and reused by lesion, landscape, representations and paths.
 */
export async function trainedTwin(context: AnalysisContext, skip: 'identity' | 'none'): Promise<TrainedModel<ResNetCifar>> {
  const s = twinSettings(context);
  const data = twinData(context);
  const name = `${skip === 'none' ? 'plain' : 'resnet'}${s.depth}-w${s.baseWidth}-n${s.trainCount}-e${s.epochs}`;
  return trainedModel(context, name,
    () => createModel('resnet_cifar', { depth: s.depth, skip, baseWidth: s.baseWidth, inChannels: data.train.channels, numClasses: data.train.numClasses, rng: new Rng(context.seed + 1) }) as ResNetCifar,
    (model) => trainModel(model, { train: data.train, stats: data.stats, test: data.test }, {
      epochs: s.epochs, seed: context.seed, onEpoch: (r) => context.progress(`${name}: epoch ${r.epoch + 1}/${s.epochs}, train error ${(r.trainError * 100).toFixed(1)} %`),
    }));
}

/** A small DenseNet (no bottleneck) with `layers` weighted layers in total, for equal-depth comparisons. */
export function smallDenseNet(context: AnalysisContext, options: { blockConfig: number[]; growthRate: number; inChannels: number; numClasses: number; skip?: 'concat' | 'none'; bottleneck?: boolean }): DenseNet {
  return new DenseNet({
    growthRate: options.growthRate, blockConfig: options.blockConfig, initFeatures: 2 * options.growthRate, stem: 'cifar',
    bnSize: options.bottleneck ? 4 : 0, compression: 0.5, skip: options.skip ?? 'concat', inChannels: options.inChannels, numClasses: options.numClasses, rng: new Rng(context.seed + 1),
  });
}
