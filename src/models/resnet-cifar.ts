import { flatten } from '../autograd/functions/reshape.js';
import { BasicBlock, PreActBlock, type ResidualBlock } from '../blocks/residual.js';
import { shortcutKindFor, type ResidualSkip } from '../blocks/shortcuts.js';
import { chainSkips, checkSkipKind, type SkipEdge } from '../blocks/skip.js';
import { BatchNorm2d } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { convBatchNorm } from '../nn/layers/conv-batch-norm.js';
import { Linear } from '../nn/layers/linear.js';
import { AdaptiveAvgPool2d } from '../nn/layers/pooling.js';
import { Sequential } from '../nn/layers/sequential.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { formatShape, ShapeError } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { initLikeTorchvision, positiveInteger, SkipModel } from './skip-model.js';

/** The CIFAR ResNet of He et al. 2015 §4.2: depth 6n+2, skip, block type, base width, classes, input channels, drop-path. */
export interface ResNetCifarOptions {
  /** Total weighted layers, 6n + 2 (He et al. 2015 §4.2): 20, 32, 44, 56, 110, 1202; 8 gives n = 1. */
  depth: number;
  /**
   * The net's skips (He et al. 2015 §3.3, see `shortcutKindFor`): 'identity' (default) or its
   * synonym 'zero-pad' for option A, the paper's CIFAR choice (identity shortcuts, zero-padded
   * where a stage widens); 'projection' for option B (1x1 projections there instead); 'none' for
   * the plain twin ("plain-20"): identical layers, no shortcuts.
   */
  skip?: ResidualSkip;
  /** 'basic' (He et al. 2015) or 'preact' (He et al. 2016, identity mappings). */
  block?: 'basic' | 'preact';
  inChannels?: number;
  numClasses?: number;
  /** Width of the first stage; the stages have baseWidth · (1, 2, 4) channels (16/32/64 in §4.2). */
  baseWidth?: number;
  /** Survival probability of the last block for stochastic depth, decaying linearly from 1 (Huang et al. 2016 §3, p_L = 0.5 there). 1 = off. */
  survivalProbability?: number;
  /** Start every block as its shortcut (last BN γ = 0). */
  zeroInitResidual?: boolean;
  rng?: Rng;
}

/** The values of `skip` a residual net accepts, its default first. */
export const RESNET_CIFAR_SKIPS: readonly ResidualSkip[] = ['identity', 'zero-pad', 'projection', 'none'];

/**
 * The CIFAR-10 ResNet of He et al. 2015 §4.2: a 3x3 conv to 16 channels, then three stages of n
 * blocks on 32x32, 16x16 and 8x8 maps with 16, 32 and 64 filters (the first block of stages 2
 * and 3 has stride 2), global average pooling and a fully connected layer: 6n + 2 layers.
 * Any input size works (Fashion-MNIST's 28x28 becomes 28 -> 14 -> 7).
 */
export class ResNetCifar extends SkipModel {
  // Field order = state-dict order: conv1, bn1, layer1..3, fc (torchvision names).
  conv1: Conv2d;
  bn1: BatchNorm2d | null;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  /** The final BN of a pre-activation net (He et al. 2016 §4: BN and ReLU before pooling). */
  bn: BatchNorm2d | null;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;
  readonly depth: number;
  readonly blockKind: 'basic' | 'preact';
  readonly inChannels: number;

  constructor(options: ResNetCifarOptions) {
    super();
    const name = `resnetCifar(depth ${options.depth})`;
    this.depth = options.depth;
    if (!Number.isInteger(this.depth) || this.depth < 8 || (this.depth - 2) % 6 !== 0) {
      throw new Error(`resnetCifar: depth ${options.depth} is not 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, 110, ...)`);
    }
    const n = (this.depth - 2) / 6;
    const netSkip = checkSkipKind(options.skip ?? 'identity', name, RESNET_CIFAR_SKIPS) as ResidualSkip;
    this.blockKind = options.block ?? 'basic';
    if (this.blockKind !== 'basic' && this.blockKind !== 'preact') throw new Error(`${name}: block '${String(this.blockKind)}' is not 'basic' or 'preact'`);
    this.inChannels = positiveInteger(options.inChannels ?? 3, 'inChannels', name);
    const numClasses = positiveInteger(options.numClasses ?? 10, 'numClasses', name);
    const width = positiveInteger(options.baseWidth ?? 16, 'baseWidth', name);
    const rng = options.rng ?? globalRng();
    const lastSurvival = options.survivalProbability ?? 1;
    const preact = this.blockKind === 'preact';

    this.conv1 = new Conv2d(this.inChannels, width, 3, { padding: 1, bias: false, rng });
    this.bn1 = preact ? null : new BatchNorm2d(width);
    const totalBlocks = 3 * n;
    let blockIndex = 0;
    let channels = width;
    const stage = (planes: number, stride: number): Sequential => {
      const blocks: ResidualBlock[] = [];
      for (let i = 0; i < n; i++) {
        blockIndex++;
        // Linear decay rule p_l = 1 − (l / L)(1 − p_L) (Huang et al. 2016, eq. 4).
        const survivalProbability = 1 - (blockIndex / totalBlocks) * (1 - lastSurvival);
        const blockStride = i === 0 ? stride : 1;
        const skip = shortcutKindFor(netSkip, channels !== planes || blockStride !== 1);
        const blockOptions = { stride: blockStride, skip, survivalProbability, rng };
        blocks.push(preact ? new PreActBlock(channels, planes, blockOptions) : new BasicBlock(channels, planes, blockOptions));
        channels = planes;
      }
      return new Sequential(...blocks);
    };
    this.layer1 = stage(width, 1);
    this.layer2 = stage(2 * width, 2);
    this.layer3 = stage(4 * width, 2);
    this.bn = preact ? new BatchNorm2d(channels) : null;
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc = new Linear(channels, numClasses, { rng });

    initLikeTorchvision(this, rng);
    if (options.zeroInitResidual) for (const [, block] of this.blocks()) block.zeroInitResidual();
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`ResNetCifar-${this.depth}: expected input (N, ${this.inChannels}, H, W), got ${formatShape(x.shape)}`);
    }
    let out = this.bn1 ? convBatchNorm(this.conv1, this.bn1, x, true) : this.conv1.forward(x); // (N, 16, H, W)
    out = this.layer1.forward(out); // (N, 16, H, W)
    out = this.layer2.forward(out); // (N, 32, H/2, W/2)
    out = this.layer3.forward(out); // (N, 64, H/4, W/4)
    if (this.bn) out = this.bn.forwardRelu(out);
    out = flatten(this.avgpool.forward(out)); // (N, 64)
    return this.fc.forward(out); // (N, classes)
  }

  /** The residual blocks in forward order with their module paths (`layer2.0`). */
  blocks(): [string, ResidualBlock][] {
    const out: [string, ResidualBlock][] = [];
    for (const [stageName, stage] of [['layer1', this.layer1], ['layer2', this.layer2], ['layer3', this.layer3]] as const) {
      stage.layers.forEach((b, i) => out.push([`${stageName}.${i}`, b as ResidualBlock]));
    }
    return out;
  }

  /** One identity or zero-pad edge per basic block (none in the plain twin). */
  skips(): SkipEdge[] {
    return chainSkips(this.blocks(), this.bn1 ? 'bn1' : 'conv1');
  }
}

/** Build a CIFAR ResNet: `resnetCifar({ depth: 56 })`, `resnetCifar({ depth: 20, skip: 'none' })` for plain-20. */
export function resnetCifar(options: ResNetCifarOptions): ResNetCifar {
  return new ResNetCifar(options);
}
