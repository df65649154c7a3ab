import { concat } from '../autograd/functions/concat.js';
import { dropout } from '../autograd/functions/dropout.js';
import { avgPool2d } from '../autograd/functions/pooling.js';
import { BatchNorm2d } from '../nn/layers/batch-norm.js';
import { batchNormReluConv } from '../nn/layers/conv-batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Module } from '../nn/module.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { JunctionRule, SkipBlock } from './skip-block.js';
import type { SkipEdge } from './skip.js';

/** One dense layer: bottleneck (DenseNet-B) and its width, dropout rate, and the init generator. */
export interface DenseLayerOptions {
  /** DenseNet-B: a 1x1 convolution to `bottleneckWidth` channels before the 3x3 (Huang et al. 2017 §3). */
  bottleneck?: boolean;
  /** Channels of that 1x1 convolution: bn_size · k in torchvision, 4k in the paper. */
  bottleneckWidth?: number;
  dropRate?: number;
  rng?: Rng;
}

/**
 * H_ℓ of Huang et al. 2017 §3: BN-ReLU-Conv(1x1)-BN-ReLU-Conv(3x3) producing k (`growthRate`)
 * feature maps (without the bottleneck: BN-ReLU-Conv(3x3)). Names are torchvision's.
 */
export class DenseLayer extends Module {
  norm1: BatchNorm2d;
  conv1: Conv2d;
  norm2: BatchNorm2d | null;
  conv2: Conv2d | null;
  readonly dropRate: number;
  private readonly dropRng: Rng;

  constructor(readonly inChannels: number, readonly growthRate: number, options: DenseLayerOptions = {}) {
    super();
    const rng = options.rng;
    const bottleneck = options.bottleneck ?? true;
    const width = options.bottleneckWidth ?? 4 * growthRate;
    this.norm1 = new BatchNorm2d(inChannels);
    if (bottleneck) {
      this.conv1 = new Conv2d(inChannels, width, 1, { bias: false, rng });
      this.norm2 = new BatchNorm2d(width);
      this.conv2 = new Conv2d(width, growthRate, 3, { padding: 1, bias: false, rng });
    } else {
      this.conv1 = new Conv2d(inChannels, growthRate, 3, { padding: 1, bias: false, rng });
      this.norm2 = null;
      this.conv2 = null;
    }
    this.dropRate = options.dropRate ?? 0;
    this.dropRng = rng ?? globalRng();
  }

  forward(x: Tensor): Tensor {
    let out = batchNormReluConv(this.norm1, this.conv1, x); // (N, 4k or k, H, W)
    if (this.norm2 && this.conv2) out = batchNormReluConv(this.norm2, this.conv2, out); // (N, k, H, W)
    return this.dropRate > 0 ? dropout(out, this.dropRate, this.training, this.dropRng) : out;
  }
}

/** The skips a dense block can have: concatenation, or none (its plain twin). */
export type DenseSkip = 'concat' | 'none';

/** A dense block: its layers' options, and whether the concatenating skip is kept (`none`: the plain twin). */
export interface DenseBlockOptions extends DenseLayerOptions {
  /** 'concat' (dense connectivity) or 'none' (the plain twin: each layer sees only its predecessor). */
  skip?: DenseSkip;
}

/**
 * A dense block (Huang et al. 2017 §3, eq. 2): x_ℓ = H_ℓ([x_0, x_1, ..., x_{ℓ−1}]) and the block
 * outputs [x_0, ..., x_L]. The plain twin chains the same layers without concatenation:
 * x_ℓ = H_ℓ(x_{ℓ−1}), outputting x_L. Concatenation is what sets each layer's input width, so
 * the twin's convolutions keep their output widths and names while their inputs shrink to the
 * predecessor's k channels.
 */
export class DenseBlock extends Module implements SkipBlock {
  readonly layers: DenseLayer[];
  readonly skipKind: DenseSkip;
  readonly outChannels: number;

  constructor(readonly inChannels: number, readonly numLayers: number, readonly growthRate: number, options: DenseBlockOptions = {}) {
    super();
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new Error(`DenseBlock: numLayers ${numLayers} must be a positive integer`);
    this.skipKind = options.skip ?? 'concat';
    if (this.skipKind !== 'concat' && this.skipKind !== 'none') throw new Error(`DenseBlock: skip '${String(this.skipKind)}' is not 'concat' or 'none'`);
    this.layers = [];
    for (let i = 0; i < numLayers; i++) {
      const input = this.skipKind === 'concat' ? inChannels + i * growthRate : i === 0 ? inChannels : growthRate;
      this.layers.push(new DenseLayer(input, growthRate, options));
    }
    this.outChannels = this.skipKind === 'concat' ? inChannels + numLayers * growthRate : growthRate;
  }

  /** torchvision's names: `denselayer1`, `denselayer2`, ... */
  override *namedChildren(): Generator<[string, Module]> {
    for (let i = 0; i < this.layers.length; i++) yield [`denselayer${i + 1}`, this.layers[i]!];
  }

  forward(x: Tensor): Tensor {
    if (this.skipKind === 'none') {
      let out = x;
      for (const layer of this.layers) out = layer.forward(out); // x_ℓ = H_ℓ(x_{ℓ−1})
      return out;
    }
    const features: Tensor[] = [x]; // x_0
    for (const layer of this.layers) {
      // A copy: concat records its input list for backward, and this one keeps growing.
      const input = features.length === 1 ? x : concat([...features], 1); // [x_0, ..., x_{ℓ−1}]
      features.push(layer.forward(input)); // x_ℓ, (N, k, H, W)
    }
    return concat(features, 1); // (N, C0 + L·k, H, W)
  }

  /**
   * The same computation as one junction per layer: the state [x_0, ..., x_{ℓ−1}] is what the
   * skip carries, H_ℓ of it is the branch, and the junction appends the branch's k maps
   * (concatenating step by step equals concatenating all at once). The plain twin's junction
   * passes only the branch on: x_ℓ = H_ℓ(x_{ℓ−1}).
   */
  forwardJunctions(x: Tensor, rule: JunctionRule): Tensor {
    let state = x;
    for (const layer of this.layers) {
      const input = state;
      state = rule({
        kind: this.skipKind,
        merge: 'concat',
        input,
        branch: () => layer.forward(input), // (N, k, H, W)
        shortcut: () => (this.skipKind === 'concat' ? input : null),
        join: (f, s) => (s ? concat([s, f], 1) : f),
      });
    }
    return state;
  }

  /** A dense block appends channels (and its plain twin's layers change the width), so it cannot be an identity. */
  makeIdentity(): void {
    throw new Error(`DenseBlock(${this.inChannels} -> ${this.outChannels}): a dense block changes the number of channels, so it cannot be an identity`);
  }

  /**
   * Which channels of layer ℓ's input come from which source (0 = the block input, j = layer j),
   * for feature-reuse analysis (Huang et al. 2017 §5, Fig. 5).
   */
  inputSources(layer: number): { source: number; start: number; end: number }[] {
    if (layer < 1 || layer > this.numLayers + 1) throw new RangeError(`DenseBlock.inputSources: layer ${layer} is outside 1..${this.numLayers + 1}`);
    if (this.skipKind === 'none') return [{ source: layer - 1, start: 0, end: layer === 1 ? this.inChannels : this.growthRate }];
    const out = [{ source: 0, start: 0, end: this.inChannels }];
    for (let j = 1; j < layer; j++) {
      const start = this.inChannels + (j - 1) * this.growthRate;
      out.push({ source: j, start, end: start + this.growthRate });
    }
    return out;
  }

  /**
   * The concatenative skips inside this block at module path `path`, whose input comes from
   * `inputName`: every source j feeding a later consumer ℓ > j + 1 (j = ℓ − 1 is the main path),
   * where consumer L + 1 is the block's output. The plain twin lists them with kind 'none'.
   */
  skipEdges(path: string, inputName: string): SkipEdge[] {
    const name = (j: number): string => (j === 0 ? inputName : `${path}.denselayer${j}`);
    const edges: SkipEdge[] = [];
    for (let consumer = 2; consumer <= this.numLayers + 1; consumer++) {
      const to = consumer <= this.numLayers ? `${path}.denselayer${consumer}` : path;
      for (let j = 0; j < consumer - 1; j++) edges.push({ from: name(j), to, kind: this.skipKind, block: path });
    }
    return edges;
  }
}

/**
 * The transition between dense blocks (Huang et al. 2017 §3 "Pooling layers"): BN, 1x1 conv to
 * ⌊θ·m⌋ channels (compression θ, DenseNet-C), 2x2 average pooling.
 */
export class Transition extends Module {
  norm: BatchNorm2d;
  conv: Conv2d;

  constructor(readonly inChannels: number, readonly outChannels: number, options: { rng?: Rng } = {}) {
    super();
    this.norm = new BatchNorm2d(inChannels);
    this.conv = new Conv2d(inChannels, outChannels, 1, { bias: false, rng: options.rng });
  }

  forward(x: Tensor): Tensor {
    const out = batchNormReluConv(this.norm, this.conv, x); // (N, ⌊θm⌋, H, W)
    return avgPool2d(out, 2, { stride: 2 }, 'Transition'); // (N, ⌊θm⌋, H/2, W/2)
  }
}
