import { flatten } from '../autograd/functions/reshape.js';
import { BasicBlock, Bottleneck, type ResidualBlock } from '../blocks/residual.js';
import { shortcutKindFor, type ResidualSkip } from '../blocks/shortcuts.js';
import { chainSkips, checkSkipKind, type SkipEdge } from '../blocks/skip.js';
import { BatchNorm2d } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { convBatchNorm } from '../nn/layers/conv-batch-norm.js';
import { Linear } from '../nn/layers/linear.js';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/layers/pooling.js';
import { Sequential } from '../nn/layers/sequential.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { formatShape, ShapeError } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { initLikeTorchvision, positiveInteger, SkipModel } from './skip-model.js';

/** The ImageNet ResNet of He et al. 2015 Table 1: block type, blocks per stage, skip, input channels, classes. */
export interface ResNetOptions {
  /** Basic blocks (ResNet-18/34) or bottlenecks (50/101/152), He et al. 2015 Table 1. */
  block: 'basic' | 'bottleneck';
  /** Blocks per stage (conv2_x .. conv5_x in Table 1). */
  layers: readonly [number, number, number, number];
  /**
   * The net's skips (He et al. 2015 §3.3, see `shortcutKindFor`): 'projection' (default) for
   * option B, torchvision's (identity shortcuts, 1x1 projections where the shape changes);
   * 'identity' or its synonym 'zero-pad' for option A, parameter-free (Table 2's ResNet-18/34);
   * 'none' for the plain twin (Table 2's plain-18/34): identical layers, no shortcuts.
   */
  skip?: ResidualSkip;
  inChannels?: number;
  numClasses?: number;
  zeroInitResidual?: boolean;
  /** Stochastic depth: survival probability of the last block, decaying linearly from 1. */
  survivalProbability?: number;
  rng?: Rng;
}

/** The values of `skip` a residual net accepts, its default first. */
export const RESNET_SKIPS: readonly ResidualSkip[] = ['projection', 'identity', 'zero-pad', 'none'];

/**
 * The ImageNet ResNet of He et al. 2015 (§3.4, Table 1) in torchvision's layout and names:
 * conv1 7x7/2 + bn1 + maxpool 3x3/2, four stages `layer1..layer4` of 64, 128, 256, 512 planes
 * (stride 2 on the first block of stages 2-4), global average pooling, `fc`. Bottlenecks put the
 * stride on their 3x3 convolution as torchvision does.
 */
export class ResNet extends SkipModel {
  // Field order = state-dict order = torchvision's.
  conv1: Conv2d;
  bn1: BatchNorm2d;
  maxpool: MaxPool2d;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  layer4: Sequential;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;
  readonly inChannels: number;

  constructor(options: ResNetOptions) {
    super();
    const where = `ResNet(${options.block}, [${options.layers.join(', ')}])`;
    if (options.block !== 'basic' && options.block !== 'bottleneck') throw new Error(`${where}: block must be 'basic' or 'bottleneck'`);
    if (options.layers.length !== 4) throw new Error(`${where}: layers must list 4 stage lengths`);
    options.layers.forEach((n, i) => positiveInteger(n, `layers[${i}]`, where));
    const netSkip = checkSkipKind(options.skip ?? 'projection', where, RESNET_SKIPS) as ResidualSkip;
    this.inChannels = positiveInteger(options.inChannels ?? 3, 'inChannels', where);
    const numClasses = positiveInteger(options.numClasses ?? 1000, 'numClasses', where);
    const rng = options.rng ?? globalRng();
    const lastSurvival = options.survivalProbability ?? 1;
    const expansion = options.block === 'basic' ? BasicBlock.expansion : Bottleneck.expansion;
    const totalBlocks = options.layers.reduce((a, b) => a + b, 0);

    this.conv1 = new Conv2d(this.inChannels, 64, 7, { stride: 2, padding: 3, bias: false, rng });
    this.bn1 = new BatchNorm2d(64);
    this.maxpool = new MaxPool2d(3, { stride: 2, padding: 1 });
    let channels = 64;
    let blockIndex = 0;
    const stage = (planes: number, blocks: number, stride: number): Sequential => {
      const out: ResidualBlock[] = [];
      for (let i = 0; i < blocks; i++) {
        blockIndex++;
        const survivalProbability = 1 - (blockIndex / totalBlocks) * (1 - lastSurvival); // Huang et al. 2016 eq. 4
        const blockStride = i === 0 ? stride : 1;
        const skip = shortcutKindFor(netSkip, channels !== planes * expansion || blockStride !== 1);
        const blockOptions = { stride: blockStride, skip, survivalProbability, rng };
        out.push(options.block === 'basic' ? new BasicBlock(channels, planes, blockOptions) : new Bottleneck(channels, planes, blockOptions));
        channels = planes * expansion;
      }
      return new Sequential(...out);
    };
    this.layer1 = stage(64, options.layers[0], 1);
    this.layer2 = stage(128, options.layers[1], 2);
    this.layer3 = stage(256, options.layers[2], 2);
    this.layer4 = stage(512, options.layers[3], 2);
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc = new Linear(channels, numClasses, { rng });

    initLikeTorchvision(this, rng);
    if (options.zeroInitResidual) for (const [, block] of this.blocks()) block.zeroInitResidual();
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`ResNet: expected input (N, ${this.inChannels}, H, W), got ${formatShape(x.shape)}`);
    }
    let out = convBatchNorm(this.conv1, this.bn1, x, true); // (N, 64, H/2, W/2)
    out = this.maxpool.forward(out); // (N, 64, H/4, W/4)
    out = this.layer1.forward(out); // (N, 64·e, H/4, W/4)
    out = this.layer2.forward(out); // (N, 128·e, H/8, W/8)
    out = this.layer3.forward(out); // (N, 256·e, H/16, W/16)
    out = this.layer4.forward(out); // (N, 512·e, H/32, W/32)
    out = flatten(this.avgpool.forward(out)); // (N, 512·e)
    return this.fc.forward(out); // (N, classes)
  }

  /** The residual blocks in forward order with their module paths (`layer3.5`). */
  blocks(): [string, ResidualBlock][] {
    const out: [string, ResidualBlock][] = [];
    const stages = [['layer1', this.layer1], ['layer2', this.layer2], ['layer3', this.layer3], ['layer4', this.layer4]] as const;
    for (const [name, stage] of stages) stage.layers.forEach((b, i) => out.push([`${name}.${i}`, b as ResidualBlock]));
    return out;
  }

  /** One edge per residual block: identity, or projection where the shape changes (none in the plain twin). */
  skips(): SkipEdge[] {
    return chainSkips(this.blocks(), 'maxpool');
  }
}

type Preset = Omit<ResNetOptions, 'block' | 'layers'>;

// He et al. 2015, Table 1, one line each.
/** ResNet-18 (He et al. 2015 Table 1): basic blocks [2, 2, 2, 2], 11.7 M parameters at 1000 classes. */
export const resnet18 = (o: Preset = {}): ResNet => new ResNet({ ...o, block: 'basic', layers: [2, 2, 2, 2] });
/** ResNet-34: basic blocks [3, 4, 6, 3]. */
export const resnet34 = (o: Preset = {}): ResNet => new ResNet({ ...o, block: 'basic', layers: [3, 4, 6, 3] });
/** ResNet-50: bottlenecks [3, 4, 6, 3], 25.6 M parameters at 1000 classes. */
export const resnet50 = (o: Preset = {}): ResNet => new ResNet({ ...o, block: 'bottleneck', layers: [3, 4, 6, 3] });
/** ResNet-101: bottlenecks [3, 4, 23, 3]. */
export const resnet101 = (o: Preset = {}): ResNet => new ResNet({ ...o, block: 'bottleneck', layers: [3, 4, 23, 3] });
/** ResNet-152: bottlenecks [3, 8, 36, 3]. */
export const resnet152 = (o: Preset = {}): ResNet => new ResNet({ ...o, block: 'bottleneck', layers: [3, 8, 36, 3] });
