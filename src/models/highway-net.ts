import { flatten } from '../autograd/functions/reshape.js';
import { adaptiveAvgPool2d, maxPool2d } from '../autograd/functions/pooling.js';
import { relu } from '../autograd/functions/unary.js';
import { ConvHighwayLayer, HighwayLayer, type HighwaySkip } from '../blocks/highway.js';
import { chainSkips, checkSkipKind, type SkipEdge } from '../blocks/skip.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Linear } from '../nn/layers/linear.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { formatShape, ShapeError } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { positiveInteger, SkipModel } from './skip-model.js';

/** The values of `skip` a highway net accepts, its default first. */
export const HIGHWAY_SKIPS: readonly HighwaySkip[] = ['gated', 'none'];

/** A fully connected highway network (Srivastava et al. 2015): depth, width, gate bias, skip, classes. */
export interface HighwayNetOptions {
  /** Total layers as counted in Srivastava et al. 2015 §4 (Fig. 1: 10, 20, 50, 100): one plain input layer plus depth − 1 highway layers. */
  depth?: number;
  /** Units per layer (50 in the paper's fully connected nets). */
  width?: number;
  /** Input features after flattening (784 for MNIST). */
  inFeatures?: number;
  numClasses?: number;
  skip?: HighwaySkip;
  gateBias?: number;
  rng?: Rng;
}

/**
 * The fully connected highway network of Srivastava et al. 2015 §4.1: a plain layer maps the
 * flattened input to `width` units, then depth − 1 highway layers, then a softmax classifier.
 * The plain twin replaces each highway layer by its transform alone, at the same width; the
 * paper widened its plain nets to match parameter counts (71 units against 50) — pass the
 * `width` that `parameterMatchedTwin('highway_fc', options)` gives.
 */
export class HighwayNetFC extends SkipModel {
  input: Linear;
  layers: HighwayLayer[];
  classifier: Linear;
  readonly inFeatures: number;

  constructor(options: HighwayNetOptions = {}) {
    super();
    const where = 'highway_fc';
    const depth = positiveInteger(options.depth ?? 10, 'depth', where);
    if (depth < 2) throw new Error(`${where}: depth ${depth} must be at least 2 (one plain layer and one highway layer)`);
    const width = positiveInteger(options.width ?? 50, 'width', where);
    this.inFeatures = positiveInteger(options.inFeatures ?? 784, 'inFeatures', where);
    const skip = checkSkipKind(options.skip ?? 'gated', where, HIGHWAY_SKIPS) as HighwaySkip;
    const rng = options.rng ?? globalRng();
    this.input = new Linear(this.inFeatures, width, { rng });
    this.layers = Array.from({ length: depth - 1 }, () => new HighwayLayer(width, { skip, gateBias: options.gateBias, rng }));
    this.classifier = new Linear(width, positiveInteger(options.numClasses ?? 10, 'numClasses', where), { rng });
  }

  forward(x: Tensor): Tensor {
    const flat = x.ndim === 2 ? x : flatten(x); // (N, inFeatures)
    if (flat.shape[1] !== this.inFeatures) {
      throw new ShapeError(`highway_fc: expected ${this.inFeatures} input features per sample, got input ${formatShape(x.shape)}`);
    }
    let h = relu(this.input.forward(flat)); // (N, width)
    for (const layer of this.layers) h = layer.forward(h); // y = H·T + x·(1 − T)
    return this.classifier.forward(h); // (N, classes)
  }

  skips(): SkipEdge[] {
    return chainSkips(this.layers.map((l, i) => [`layers.${i}`, l] as const), 'input');
  }
}

/** A convolutional highway network: depth, width (channels), gate bias, skip, classes. */
export interface ConvHighwayNetOptions {
  /** Highway layers (default 6), split into two stages with a 2x2 max pool between them. */
  depth?: number;
  /** Channels of every highway layer (default 16). */
  width?: number;
  inChannels?: number;
  numClasses?: number;
  skip?: HighwaySkip;
  gateBias?: number;
  rng?: Rng;
}

/**
 * A small convolutional highway network in the spirit of Srivastava et al. 2015 §4.1 (their
 * CIFAR nets interleave highway convolutions with max pooling): a 3x3 plain conv to `width`
 * channels, ⌈depth/2⌉ highway layers, 2x2 max pool, ⌊depth/2⌋ highway layers, global average
 * pooling and a linear classifier.
 */
export class ConvHighwayNet extends SkipModel {
  stem: Conv2d;
  layers: ConvHighwayLayer[];
  classifier: Linear;
  readonly inChannels: number;
  private readonly poolAfter: number;

  constructor(options: ConvHighwayNetOptions = {}) {
    super();
    const where = 'highway_conv';
    const depth = positiveInteger(options.depth ?? 6, 'depth', where);
    const width = positiveInteger(options.width ?? 16, 'width', where);
    this.inChannels = positiveInteger(options.inChannels ?? 1, 'inChannels', where);
    const skip = checkSkipKind(options.skip ?? 'gated', where, HIGHWAY_SKIPS) as HighwaySkip;
    const rng = options.rng ?? globalRng();
    this.stem = new Conv2d(this.inChannels, width, 3, { padding: 1, rng });
    this.layers = Array.from({ length: depth }, () => new ConvHighwayLayer(width, { skip, gateBias: options.gateBias, rng }));
    this.classifier = new Linear(width, positiveInteger(options.numClasses ?? 10, 'numClasses', where), { rng });
    this.poolAfter = Math.ceil(depth / 2);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`highway_conv: expected input (N, ${this.inChannels}, H, W), got ${formatShape(x.shape)}`);
    }
    let h = relu(this.stem.forward(x)); // (N, width, H, W)
    this.layers.forEach((layer, i) => {
      if (i === this.poolAfter) h = maxPool2d(h, 2, {}, 'highway_conv'); // (N, width, H/2, W/2)
      h = layer.forward(h);
    });
    return this.classifier.forward(flatten(adaptiveAvgPool2d(h, 1, 'highway_conv'))); // (N, classes)
  }

  skips(): SkipEdge[] {
    return chainSkips(this.layers.map((l, i) => [`layers.${i}`, l] as const), 'stem');
  }
}
