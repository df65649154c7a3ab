import { checkSkipKind, type SkipKind } from '../blocks/skip.js';
import type { DenseSkip } from '../blocks/dense.js';
import type { HighwaySkip } from '../blocks/highway.js';
import type { TransformerSkip } from '../blocks/pre-ln-transformer.js';
import type { ResidualSkip } from '../blocks/shortcuts.js';
import type { UNetSkip } from '../blocks/unet-level.js';
import type { Rng } from '../tensor/rng.js';
import { Mlp } from './mlp.js';
import { buildWithinMemory, checkModelOptionLimits } from './option-limits.js';
import { DENSE_SKIPS, DenseNet, densenet121, densenet169, densenetBcCifar } from './densenet.js';
import { ConvHighwayNet, HIGHWAY_SKIPS, HighwayNetFC } from './highway-net.js';
import { RESNET_SKIPS, resnet101, resnet152, resnet18, resnet34, resnet50 } from './resnet.js';
import { RESNET_CIFAR_SKIPS, resnetCifar } from './resnet-cifar.js';
import { TRANSFORMER_SKIPS, TransformerClassifier } from './transformer.js';
import { UNET_SKIPS, UNet } from './unet.js';
import { SimpleConvNet } from './simple-convnet.js';
import type { SkipModel } from './skip-model.js';

/**
 * Every option a registered model may take. Each entry lists the ones it accepts and
 * `createModel` rejects the rest by name, so a typo never passes silently.
 */
export interface ModelOptions {
  /**
   * Which skips to build, in the one skip vocabulary: each model accepts the kinds in its
   * `skipOptions` (its default first); 'none' builds the plain twin.
   */
  skip?: SkipKind;
  inChannels?: number;
  numClasses?: number;
  rng?: Rng;
  depth?: number;
  block?: 'basic' | 'preact';
  baseWidth?: number;
  survivalProbability?: number;
  zeroInitResidual?: boolean;
  growthRate?: number;
  /** DenseNet-B: a 1x1 bottleneck convolution before each 3x3 one. */
  bottleneck?: boolean;
  compression?: number;
  /** Channels of a DenseNet's stem convolution (Huang et al. 2017 §3: 16, or 2k for DenseNet-BC). */
  initFeatures?: number;
  width?: number;
  inFeatures?: number;
  gateBias?: number;
  levels?: number;
  oddSizes?: 'crop' | 'pad';
  imageSize?: number;
  imageWidth?: number;
  mlpRatio?: number;
  dim?: number;
  heads?: number;
  layers?: number;
  dropout?: number;
}

/** The option names `createModel` accepts (each model takes a subset). */
export type ModelOptionName = Exclude<keyof ModelOptions, 'rng'>;

/** A registry entry: name, paper, description, sample input shape (C, H, W), its skip kinds and the options it accepts. */
export interface ModelInfo {
  name: string;
  /** Paper (and section/table) the model follows. */
  paper: string;
  description: string;
  /** A sample input shape without the batch axis, used for listings and tests. */
  inputShape: readonly number[];
  /** The skip kinds the default model's `skips()` lists. */
  skipKinds: readonly SkipKind[];
  /**
   * The values of the `skip` option this model accepts, its default first ('none' = the plain
   * twin); empty for a baseline without skips. Every kind in `skipKinds` is among them.
   */
  skipOptions: readonly SkipKind[];
  /** Parameter count published by the paper or torchvision, and how exact it is. */
  published?: { parameters: number; tolerance: number; source: string };
  /** Options this model accepts besides `rng`. */
  options: readonly ModelOptionName[];
  /**
   * The option that widens the model and its default, for a plain twin whose count differs from
   * the model's: `parameterMatchedTwin` widens the twin by it to the model's parameter count.
   */
  twinWidth?: { option: ModelOptionName; default: number };
}

interface ModelEntry extends ModelInfo {
  /** Called by `createModel` with options it has checked: `skip`, when given, is among `skipOptions`. */
  build(options: ModelOptions): SkipModel;
}

const common: ModelOptionName[] = ['skip', 'inChannels', 'numClasses'];
const cifarResNetOptions: ModelOptionName[] = [...common, 'block', 'baseWidth', 'survivalProbability', 'zeroInitResidual'];

const entries: ModelEntry[] = [];

function register(entry: ModelEntry): void {
  if (entries.some((e) => e.name === entry.name)) throw new Error(`model registry: '${entry.name}' registered twice`);
  entries.push(entry);
}

// He et al. 2015, Table 6: CIFAR-10 ResNets of depth 6n + 2 with option A shortcuts.
const cifarPublished: Record<number, number> = { 20: 0.27e6, 32: 0.46e6, 44: 0.66e6, 56: 0.85e6, 110: 1.7e6 };
for (const depth of [20, 32, 44, 56, 110]) {
  register({
    name: `resnet${depth}`,
    paper: 'He et al. 2015, §4.2 and Table 6',
    description: `CIFAR ResNet-${depth} (3 stages of ${(depth - 2) / 6} basic blocks, 16/32/64 channels, option A)`,
    inputShape: [3, 32, 32],
    skipKinds: ['identity', 'zero-pad'],
    skipOptions: RESNET_CIFAR_SKIPS,
    published: { parameters: cifarPublished[depth]!, tolerance: 0.005e6 + (depth === 110 ? 0.045e6 : 0), source: 'He et al. 2015, Table 6 (rounded to 0.01M; 0.1M for 110)' },
    options: cifarResNetOptions,
    build: (o) => resnetCifar({ ...o, skip: o.skip as ResidualSkip | undefined, depth }),
  });
}
register({
  name: 'resnet_cifar',
  paper: 'He et al. 2015, §4.2',
  description: 'CIFAR ResNet of any depth 6n + 2 (option `depth`, default 20)',
  inputShape: [3, 32, 32],
  skipKinds: ['identity', 'zero-pad'],
  skipOptions: RESNET_CIFAR_SKIPS,
  options: [...cifarResNetOptions, 'depth'],
  build: (o) => resnetCifar({ ...o, skip: o.skip as ResidualSkip | undefined, depth: o.depth ?? 20 }),
});

// Baselines without skips, for the engine's end-to-end checks.
register({
  name: 'mlp',
  paper: 'the classic MNIST multi-layer perceptron',
  description: 'MLP 784-256-256-10 on flattened images (option `width` sets both hidden layers)',
  inputShape: [1, 28, 28],
  skipKinds: [],
  skipOptions: [],
  options: ['inChannels', 'numClasses', 'width', 'imageSize'],
  build: (o) => new Mlp({ inputSize: (o.inChannels ?? 1) * (o.imageSize ?? 28) ** 2, hidden: [o.width ?? 256, o.width ?? 256], numClasses: o.numClasses, rng: o.rng }),
});
register({
  name: 'simple_convnet',
  paper: 'a small baseline conv net',
  description: 'two conv-BN-ReLU-maxpool stages (width 32, 64) and a linear classifier',
  inputShape: [1, 28, 28],
  skipKinds: [],
  skipOptions: [],
  options: ['inChannels', 'numClasses', 'width', 'imageSize'],
  build: (o) => new SimpleConvNet({ inChannels: o.inChannels, numClasses: o.numClasses, width: o.width, imageSize: o.imageSize, rng: o.rng }),
});

// He et al. 2015 Table 1 in torchvision's layout; counts are torchvision's (option B shortcuts).
const imagenetResNets = [
  ['resnet18', resnet18, 11_689_512, 'basic blocks [2, 2, 2, 2]'],
  ['resnet34', resnet34, 21_797_672, 'basic blocks [3, 4, 6, 3]'],
  ['resnet50', resnet50, 25_557_032, 'bottlenecks [3, 4, 6, 3]'],
  ['resnet101', resnet101, 44_549_160, 'bottlenecks [3, 4, 23, 3]'],
  ['resnet152', resnet152, 60_192_808, 'bottlenecks [3, 8, 36, 3]'],
] as const;
for (const [name, build, parameters, layout] of imagenetResNets) {
  register({
    name,
    paper: 'He et al. 2015, §3.4 and Table 1 (torchvision layout)',
    description: `ImageNet ResNet, ${layout}, option B projections`,
    inputShape: [3, 224, 224],
    skipKinds: ['identity', 'projection'],
    skipOptions: RESNET_SKIPS,
    published: { parameters, tolerance: 0, source: 'torchvision' },
    options: [...common, 'survivalProbability', 'zeroInitResidual'],
    build: (o) => build({ ...o, skip: o.skip as ResidualSkip | undefined }),
  });
}

const denseOptions: ModelOptionName[] = [...common, 'growthRate', 'compression', 'dropout'];
const denseCommon = (o: ModelOptions) => ({
  skip: o.skip as DenseSkip | undefined, inChannels: o.inChannels, numClasses: o.numClasses, growthRate: o.growthRate, compression: o.compression, dropRate: o.dropout, rng: o.rng,
});
register({
  name: 'densenet121',
  paper: 'Huang et al. 2017, Table 1 (torchvision layout)',
  description: 'DenseNet-121: k = 32, dense blocks (6, 12, 24, 16), bottleneck and θ = 0.5',
  inputShape: [3, 224, 224],
  skipKinds: ['concat'],
  skipOptions: DENSE_SKIPS,
  published: { parameters: 7_978_856, tolerance: 0, source: 'torchvision' },
  options: denseOptions,
  twinWidth: { option: 'growthRate', default: 32 },
  build: (o) => densenet121(denseCommon(o)),
});
register({
  name: 'densenet169',
  paper: 'Huang et al. 2017, Table 1 (torchvision layout)',
  description: 'DenseNet-169: k = 32, dense blocks (6, 12, 32, 32), bottleneck and θ = 0.5',
  inputShape: [3, 224, 224],
  skipKinds: ['concat'],
  skipOptions: DENSE_SKIPS,
  published: { parameters: 14_149_480, tolerance: 0, source: 'torchvision' },
  options: denseOptions,
  twinWidth: { option: 'growthRate', default: 32 },
  build: (o) => densenet169(denseCommon(o)),
});
for (const depth of [40, 100]) {
  register({
    name: `densenet_bc_${depth}`,
    paper: 'Huang et al. 2017, §3 and Table 2 (DenseNet-BC, k = 12)',
    description: `DenseNet-BC (L = ${depth}, k = 12) for 32x32 inputs: 3 dense blocks of ${(depth - 4) / 6} bottleneck layers, θ = 0.5`,
    inputShape: [3, 32, 32],
    skipKinds: ['concat'],
    skipOptions: DENSE_SKIPS,
    ...(depth === 100 ? { published: { parameters: 0.8e6, tolerance: 0.05e6, source: 'Huang et al. 2017, Table 2 (0.8M)' } } : {}),
    options: denseOptions,
    twinWidth: { option: 'growthRate', default: 12 },
    build: (o) => densenetBcCifar(depth, denseCommon(o)),
  });
}

register({
  name: 'densenet_cifar',
  paper: 'Huang et al. 2017, §3 (DenseNet and DenseNet-BC for 32x32 inputs)',
  description: 'DenseNet for small images of any depth L: 3 dense blocks sharing L − 4 weighted layers, 3x3 stem of 2k channels, θ = 0.5 (options depth, growthRate, bottleneck, compression, initFeatures; the paper\'s DenseNet without B and C: bottleneck false, compression 1, initFeatures 16)',
  inputShape: [3, 32, 32],
  skipKinds: ['concat'],
  skipOptions: DENSE_SKIPS,
  options: [...denseOptions, 'depth', 'bottleneck', 'initFeatures'],
  twinWidth: { option: 'growthRate', default: 12 },
  build: (o) => {
    const depth = o.depth ?? 40;
    const bottleneck = o.bottleneck ?? true;
    // A bottleneck layer has two weighted convolutions; the stem, two transitions and the classifier make the other 4.
    const layers = (depth - 4) / (bottleneck ? 2 : 1);
    if (!Number.isInteger(layers) || layers < 3) throw new Error(`densenet_cifar: depth ${depth} leaves no whole number of ${bottleneck ? 'bottleneck ' : ''}layers for 3 dense blocks`);
    const third = Math.floor(layers / 3);
    const k = o.growthRate ?? 12;
    return new DenseNet({
      ...denseCommon(o), growthRate: k, blockConfig: [third, third, layers - 2 * third], initFeatures: o.initFeatures ?? 2 * k, stem: 'cifar',
      bnSize: bottleneck ? 4 : 0, numClasses: o.numClasses ?? 10,
    });
  },
});
register({
  name: 'highway_fc',
  paper: 'Srivastava et al. 2015, §4.1 and Fig. 1',
  description: 'Fully connected highway network: a plain layer, depth − 1 highway layers of width 50 (gate bias −2), classifier',
  inputShape: [1, 28, 28],
  skipKinds: ['gated'],
  skipOptions: HIGHWAY_SKIPS,
  options: ['skip', 'numClasses', 'depth', 'width', 'inFeatures', 'gateBias'],
  twinWidth: { option: 'width', default: 50 },
  build: (o) => new HighwayNetFC({ depth: o.depth, width: o.width, inFeatures: o.inFeatures, numClasses: o.numClasses, gateBias: o.gateBias, skip: o.skip as HighwaySkip | undefined, rng: o.rng }),
});
register({
  name: 'highway_conv',
  paper: 'Srivastava et al. 2015, §4.1',
  description: 'Small convolutional highway network: 3x3 stem, highway convolutions around a 2x2 max pool, global pooling',
  inputShape: [1, 28, 28],
  skipKinds: ['gated'],
  skipOptions: HIGHWAY_SKIPS,
  options: [...common, 'depth', 'width', 'gateBias'],
  twinWidth: { option: 'width', default: 16 },
  build: (o) => new ConvHighwayNet({ depth: o.depth, width: o.width, inChannels: o.inChannels, numClasses: o.numClasses, gateBias: o.gateBias, skip: o.skip as HighwaySkip | undefined, rng: o.rng }),
});
register({
  name: 'unet',
  paper: 'Ronneberger et al. 2015, Fig. 1',
  description: 'U-Net with long concatenative skips (levels 4, base width 64 as the paper; BN after each conv)',
  inputShape: [1, 64, 64],
  skipKinds: ['concat'],
  skipOptions: UNET_SKIPS,
  options: [...common, 'levels', 'baseWidth', 'oddSizes'],
  twinWidth: { option: 'baseWidth', default: 64 },
  build: (o) => new UNet({ levels: o.levels, baseWidth: o.baseWidth, inChannels: o.inChannels, numClasses: o.numClasses, oddSizes: o.oddSizes, skip: o.skip as UNetSkip | undefined, rng: o.rng }),
});
register({
  name: 'transformer_classifier',
  paper: 'Xiong et al. 2020 (pre-LN), Vaswani et al. 2017',
  description: 'Pre-LN transformer over image rows (28 tokens of 28 pixels), learned positions, 4 blocks of width 64',
  inputShape: [1, 28, 28],
  skipKinds: ['identity'],
  skipOptions: TRANSFORMER_SKIPS,
  options: [...common, 'imageSize', 'imageWidth', 'dim', 'heads', 'layers', 'mlpRatio', 'dropout'],
  build: (o) => new TransformerClassifier({ ...o, skip: o.skip as TransformerSkip | undefined }),
});

/** Names of every registered model, in registration order. */
export function modelNames(): string[] {
  return entries.map((e) => e.name);
}

/** What the registry holds: name, paper, sample input, skip kinds, published size, options. */
export function listModels(): ModelInfo[] {
  return entries.map(({ build: _build, ...info }) => info);
}

/**
 * Build a registered model by name: `createModel('resnet56')`, `createModel('resnet20',
 * { skip: 'none' })` for the plain twin, `createModel('resnet_cifar', { depth: 8, inChannels: 1 })`.
 */
export function createModel(name: string, options: ModelOptions = {}): SkipModel {
  const entry = entries.find((e) => e.name === name);
  if (!entry) throw new Error(`createModel: unknown model '${name}'; known models: ${modelNames().join(', ')}`);
  for (const [key, value] of Object.entries(options)) {
    if (key === 'rng' || value === undefined) continue;
    if (!(entry.options as readonly string[]).includes(key)) {
      throw new Error(`createModel('${name}'): option '${key}' is not accepted; accepted options: ${entry.options.join(', ')}`);
    }
  }
  if (options.skip !== undefined) checkSkipKind(options.skip, `createModel('${name}')`, entry.skipOptions);
  checkModelOptionLimits(name, options);
  return buildWithinMemory(name, options, () => entry.build(options));
}
