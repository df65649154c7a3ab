import { flatten } from '../autograd/functions/reshape.js';
import { relu } from '../autograd/functions/unary.js';
import { adaptiveAvgPool2d } from '../autograd/functions/pooling.js';
import { DenseBlock, Transition, type DenseSkip } from '../blocks/dense.js';
import { checkSkipKind, type SkipEdge } from '../blocks/skip.js';
import { BatchNorm2d } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Linear } from '../nn/layers/linear.js';
import { MaxPool2d } from '../nn/layers/pooling.js';
import { ReLU } from '../nn/layers/activations.js';
import type { Module } from '../nn/module.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { formatShape, ShapeError } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { NamedSequential } from './named-sequential.js';
import { initLikeTorchvision, positiveInteger, SkipModel } from './skip-model.js';

/** DenseNet (Huang et al. 2017): growth rate k, layers per block, stem, bottleneck size and compression (BC), skip, classes. */
export interface DenseNetOptions {
  /** k, the growth rate (Huang et al. 2017 §3): feature maps each layer adds. */
  growthRate: number;
  /** Layers per dense block. */
  blockConfig: readonly number[];
  /** Channels of the first convolution (2k for DenseNet-BC on CIFAR, 64 for ImageNet). */
  initFeatures: number;
  /** 'imagenet': 7x7/2 conv + 3x3/2 max pool stem; 'cifar': one 3x3 conv (§3 "Implementation details"). */
  stem: 'imagenet' | 'cifar';
  /** Bottleneck width multiplier (bn_size): the 1x1 conv has bnSize · k channels. 0 = no bottleneck. */
  bnSize?: number;
  /** θ, the transition compression factor (0.5 for DenseNet-BC). */
  compression?: number;
  dropRate?: number;
  /** 'none' builds the plain twin: each layer sees only its predecessor. */
  skip?: DenseSkip;
  inChannels?: number;
  numClasses?: number;
  rng?: Rng;
}

/** The values of `skip` a DenseNet accepts, its default first. */
export const DENSE_SKIPS: readonly DenseSkip[] = ['concat', 'none'];

/**
 * DenseNet (Huang et al. 2017) in torchvision's layout and names: `features` holds conv0 (norm0,
 * relu0, pool0 for ImageNet), denseblock1, transition1, ..., norm5; then ReLU, global average
 * pooling and `classifier`.
 */
export class DenseNet extends SkipModel {
  features: NamedSequential;
  classifier: Linear;
  readonly inChannels: number;
  private readonly denseBlocks: [string, DenseBlock, string][] = [];

  constructor(options: DenseNetOptions) {
    super();
    const where = `DenseNet(k=${options.growthRate}, [${options.blockConfig.join(', ')}])`;
    const skip = checkSkipKind(options.skip ?? 'concat', where, DENSE_SKIPS) as DenseSkip;
    positiveInteger(options.growthRate, 'growthRate', where);
    if (options.blockConfig.length === 0) throw new Error(`${where}: blockConfig lists no dense blocks`);
    options.blockConfig.forEach((n, i) => positiveInteger(n, `blockConfig[${i}]`, where));
    const compression = options.compression ?? 0.5;
    if (!(compression > 0 && compression <= 1)) throw new Error(`${where}: compression θ = ${compression} must be in (0, 1]`);
    this.inChannels = positiveInteger(options.inChannels ?? 3, 'inChannels', where);
    const numClasses = positiveInteger(options.numClasses ?? 1000, 'numClasses', where);
    const rng = options.rng ?? globalRng();
    const bnSize = options.bnSize ?? 4;
    const k = options.growthRate;

    const children: [string, Module][] = [];
    if (options.stem === 'imagenet') {
      children.push(['conv0', new Conv2d(this.inChannels, options.initFeatures, 7, { stride: 2, padding: 3, bias: false, rng })]);
      children.push(['norm0', new BatchNorm2d(options.initFeatures)], ['relu0', new ReLU()], ['pool0', new MaxPool2d(3, { stride: 2, padding: 1 })]);
    } else {
      children.push(['conv0', new Conv2d(this.inChannels, options.initFeatures, 3, { padding: 1, bias: false, rng })]);
    }
    let channels = options.initFeatures;
    options.blockConfig.forEach((numLayers, i) => {
      const name = `denseblock${i + 1}`;
      const block = new DenseBlock(channels, numLayers, k, { skip, bottleneck: bnSize > 0, bottleneckWidth: bnSize * k, dropRate: options.dropRate, rng });
      this.denseBlocks.push([`features.${name}`, block, `features.${children[children.length - 1]![0]}`]);
      children.push([name, block]);
      if (i < options.blockConfig.length - 1) {
        // The transition's output width is the dense net's ⌊θm⌋ in both twins, so every dense
        // block starts from the same width.
        const denseWidth = channels + numLayers * k;
        const out = Math.floor(compression * denseWidth);
        children.push([`transition${i + 1}`, new Transition(block.outChannels, out, { rng })]);
        channels = out;
      } else {
        channels = block.outChannels;
      }
    });
    children.push([`norm${options.blockConfig.length + 1}`, new BatchNorm2d(channels)]);
    this.features = new NamedSequential(children);
    this.classifier = new Linear(channels, numClasses, { rng });

    initLikeTorchvision(this, rng);
    this.classifier.bias?.f32.fill(0); // torchvision: constant_(classifier.bias, 0)
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`DenseNet: expected input (N, ${this.inChannels}, H, W), got ${formatShape(x.shape)}`);
    }
    const features = relu(this.features.forward(x)); // (N, C, h, w)
    const pooled = flatten(adaptiveAvgPool2d(features, 1, 'DenseNet')); // (N, C)
    return this.classifier.forward(pooled); // (N, classes)
  }

  /** The dense blocks with their module paths. */
  blocks(): [string, DenseBlock][] {
    return this.denseBlocks.map(([path, block]) => [path, block]);
  }

  /** One concatenating edge per dense layer (none in the plain twin). */
  skips(): SkipEdge[] {
    return this.denseBlocks.flatMap(([path, block, input]) => block.skipEdges(path, input));
  }
}

type Preset = Pick<DenseNetOptions, 'skip' | 'inChannels' | 'numClasses' | 'dropRate' | 'rng'> & { growthRate?: number; compression?: number };

/** torchvision's densenet121: k = 32, blocks (6, 12, 24, 16), 64 initial features. */
export const densenet121 = (o: Preset = {}): DenseNet =>
  new DenseNet({ ...o, growthRate: o.growthRate ?? 32, blockConfig: [6, 12, 24, 16], initFeatures: 64, stem: 'imagenet' });
/** torchvision's densenet169: k = 32, blocks (6, 12, 32, 32). */
export const densenet169 = (o: Preset = {}): DenseNet =>
  new DenseNet({ ...o, growthRate: o.growthRate ?? 32, blockConfig: [6, 12, 32, 32], initFeatures: 64, stem: 'imagenet' });

/**
 * DenseNet-BC for 32x32 inputs (Huang et al. 2017 §3, §4.2): three dense blocks of (L − 4)/6
 * bottleneck layers, a 3x3 stem of 2k channels, θ = 0.5. L = 100, k = 12 has 0.8M parameters.
 */
export function densenetBcCifar(depth: number, o: Preset = {}): DenseNet {
  if (!Number.isInteger(depth) || depth < 10 || (depth - 4) % 6 !== 0) {
    throw new Error(`densenetBcCifar: depth ${depth} is not 6n + 4 with n >= 1 (40, 100, 190, ...)`);
  }
  const n = (depth - 4) / 6;
  const k = o.growthRate ?? 12;
  return new DenseNet({ ...o, numClasses: o.numClasses ?? 10, growthRate: k, blockConfig: [n, n, n], initFeatures: 2 * k, stem: 'cifar', compression: o.compression ?? 0.5 });
}
