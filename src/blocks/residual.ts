import { addRelu } from '../autograd/functions/add-relu.js';
import { add, mul } from '../autograd/functions/binary.js';
import { relu } from '../autograd/functions/unary.js';
import { BatchNorm2d } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { convBatchNorm } from '../nn/layers/conv-batch-norm.js';
import { Module } from '../nn/module.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { makeShortcut, ProjectionShortcut, type Shortcut, type ShortcutOption } from './shortcuts.js';
import type { SkipBlock, SkipKind } from './skip.js';

export interface ResidualBlockOptions {
  /** Stride of the block's first spatial convolution (2 where a stage halves the resolution). */
  stride?: number;
  /** 'none' builds the plain twin: the identical main path, no shortcut (He et al. 2015 §4.1). */
  skip?: 'identity' | 'none';
  /** Shortcut option A, B or C (§3.3). Default B, as torchvision. */
  shortcut?: ShortcutOption;
  /**
   * Stochastic depth (Huang et al. 2016, §3): the probability p_l that the residual branch is
   * kept for a sample during training. 1 (default) disables it. A plain block cannot use it:
   * its branch is its only path.
   */
  survivalProbability?: number;
  rng?: Rng;
}

/**
 * The common part of every residual block: y = merge(F(x), shortcut(x)). Subclasses define the
 * branch F. The shortcut field is named `downsample`, torchvision's name, because it is a
 * state-dict key (`layer2.0.downsample.0.weight`); it is null in the plain twin.
 */
export abstract class ResidualBlock extends Module implements SkipBlock {
  abstract downsample: Shortcut | null;
  readonly survivalProbability: number;
  private readonly dropRng: Rng;

  constructor(options: ResidualBlockOptions) {
    super();
    const p = options.survivalProbability ?? 1;
    if (!(p > 0 && p <= 1)) throw new RangeError(`${new.target.name}: survivalProbability ${p} must be in (0, 1]`);
    if (p < 1 && options.skip === 'none') {
      throw new Error(`${new.target.name}: stochastic depth (survivalProbability ${p}) needs a shortcut; the plain twin (skip 'none') has none`);
    }
    this.survivalProbability = p;
    this.dropRng = options.rng ?? globalRng();
  }

  get skipKind(): SkipKind {
    return this.downsample?.kind ?? 'none';
  }

  /** F(x), the residual branch alone. */
  abstract residual(x: Tensor): Tensor;

  /** The block's output with its residual branch removed (a lesion, Veit et al. 2016 §4). */
  abstract lesionedForward(x: Tensor): Tensor;

  /** Make F(x) start at zero so the block starts as its shortcut (Goyal et al. 2017 §5.1). */
  abstract zeroInitResidual(): void;

  /**
   * Drop-path: in training, each sample keeps F(x) with probability p and has it scaled by 1/p
   * (the "inverted" form torchvision uses, so evaluation needs no rescaling); otherwise F(x) is
   * replaced by 0 and the block passes its shortcut. Identity in evaluation.
   */
  protected dropPath(branch: Tensor): Tensor {
    const p = this.survivalProbability;
    if (!this.training || p >= 1) return branch;
    const n = branch.shape[0]!;
    const mask = new Float32Array(n);
    for (let i = 0; i < n; i++) mask[i] = this.dropRng.uniform() < p ? 1 / p : 0;
    const maskShape = branch.shape.map((d, i) => (i === 0 ? d : 1)); // (N, 1, 1, 1)
    return mul(branch, new Tensor(mask, maskShape));
  }

  protected requireShortcut(what: string): Shortcut {
    if (!this.downsample) throw new Error(`${this.constructor.name}.${what}: this is a plain block (skip 'none'); it has no shortcut`);
    return this.downsample;
  }
}

/** The two-layer block of ResNet-18/34 and the CIFAR ResNets (He et al. 2015, Fig. 2 / Fig. 5 left). */
export class BasicBlock extends ResidualBlock {
  static readonly expansion = 1;
  // Field order = state-dict order = torchvision's.
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  downsample: Shortcut | null;

  constructor(readonly inChannels: number, readonly planes: number, options: ResidualBlockOptions = {}) {
    super(options);
    const stride = options.stride ?? 1;
    const rng = options.rng;
    this.conv1 = new Conv2d(inChannels, planes, 3, { stride, padding: 1, bias: false, rng });
    this.bn1 = new BatchNorm2d(planes);
    this.conv2 = new Conv2d(planes, planes, 3, { padding: 1, bias: false, rng });
    this.bn2 = new BatchNorm2d(planes);
    this.downsample = makeShortcut(inChannels, planes, stride, { skip: options.skip ?? 'identity', option: options.shortcut ?? 'B', rng });
  }

  residual(x: Tensor): Tensor {
    return convBatchNorm(this.conv2, this.bn2, this.firstLayer(x));
  }

  private firstLayer(x: Tensor): Tensor {
    return convBatchNorm(this.conv1, this.bn1, x, true); // (N, planes, H/s, W/s)
  }

  forward(x: Tensor): Tensor {
    // Plain twin: y = relu(F(x)), its last batch norm fused with the ReLU unless F was replaced.
    if (!this.downsample && this.residual === BasicBlock.prototype.residual) return convBatchNorm(this.conv2, this.bn2, this.firstLayer(x), true);
    const branch = this.residual(x);
    if (!this.downsample) return relu(branch);
    return addRelu(this.dropPath(branch), this.downsample.forward(x)); // y = relu(F(x) + x)
  }

  lesionedForward(x: Tensor): Tensor {
    return relu(this.requireShortcut('lesionedForward').forward(x));
  }

  zeroInitResidual(): void {
    this.bn2.weight?.f32.fill(0);
  }

  override describe(): string {
    return `${this.inChannels} -> ${this.planes}, stride=${this.conv1.stride[0]}, skip=${this.skipKind}`;
  }
}

/**
 * The 1x1-3x3-1x1 bottleneck of ResNet-50/101/152 (He et al. 2015, Fig. 5 right), with the stride
 * on the 3x3 convolution as torchvision ("ResNet v1.5"). Output channels = planes · 4.
 */
export class Bottleneck extends ResidualBlock {
  static readonly expansion = 4;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  conv3: Conv2d;
  bn3: BatchNorm2d;
  downsample: Shortcut | null;

  constructor(readonly inChannels: number, readonly planes: number, options: ResidualBlockOptions = {}) {
    super(options);
    const stride = options.stride ?? 1;
    const rng = options.rng;
    const outChannels = planes * Bottleneck.expansion;
    this.conv1 = new Conv2d(inChannels, planes, 1, { bias: false, rng });
    this.bn1 = new BatchNorm2d(planes);
    this.conv2 = new Conv2d(planes, planes, 3, { stride, padding: 1, bias: false, rng });
    this.bn2 = new BatchNorm2d(planes);
    this.conv3 = new Conv2d(planes, outChannels, 1, { bias: false, rng });
    this.bn3 = new BatchNorm2d(outChannels);
    this.downsample = makeShortcut(inChannels, outChannels, stride, { skip: options.skip ?? 'identity', option: options.shortcut ?? 'B', rng });
  }

  residual(x: Tensor): Tensor {
    return convBatchNorm(this.conv3, this.bn3, this.firstLayers(x)); // (N, 4·planes, H/s, W/s)
  }

  private firstLayers(x: Tensor): Tensor {
    const out = convBatchNorm(this.conv1, this.bn1, x, true); // (N, planes, H, W)
    return convBatchNorm(this.conv2, this.bn2, out, true); // (N, planes, H/s, W/s)
  }

  forward(x: Tensor): Tensor {
    if (!this.downsample && this.residual === Bottleneck.prototype.residual) return convBatchNorm(this.conv3, this.bn3, this.firstLayers(x), true);
    const branch = this.residual(x);
    if (!this.downsample) return relu(branch);
    return addRelu(this.dropPath(branch), this.downsample.forward(x));
  }

  lesionedForward(x: Tensor): Tensor {
    return relu(this.requireShortcut('lesionedForward').forward(x));
  }

  zeroInitResidual(): void {
    this.bn3.weight?.f32.fill(0);
  }

  override describe(): string {
    return `${this.inChannels} -> ${this.planes * Bottleneck.expansion}, stride=${this.conv2.stride[0]}, skip=${this.skipKind}`;
  }
}

/**
 * The pre-activation block (He et al. 2016, "Identity mappings", Fig. 1b / Fig. 4e):
 * y = x + conv(relu(bn(conv(relu(bn(x)))))) with nothing after the addition, so the identity path
 * is a clean signal highway (§3, eq. 4). A projection shortcut takes the pre-activated input, as
 * in the authors' code, while identity and zero-pad shortcuts take x itself.
 */
export class PreActBlock extends ResidualBlock {
  static readonly expansion = 1;
  bn1: BatchNorm2d;
  conv1: Conv2d;
  bn2: BatchNorm2d;
  conv2: Conv2d;
  downsample: Shortcut | null;

  constructor(readonly inChannels: number, readonly planes: number, options: ResidualBlockOptions = {}) {
    super(options);
    const stride = options.stride ?? 1;
    const rng = options.rng;
    this.bn1 = new BatchNorm2d(inChannels);
    this.conv1 = new Conv2d(inChannels, planes, 3, { stride, padding: 1, bias: false, rng });
    this.bn2 = new BatchNorm2d(planes);
    this.conv2 = new Conv2d(planes, planes, 3, { padding: 1, bias: false, rng });
    this.downsample = makeShortcut(inChannels, planes, stride, { skip: options.skip ?? 'identity', option: options.shortcut ?? 'B', rng });
  }

  residual(x: Tensor): Tensor {
    return this.branchFromPreActivated(this.bn1.forwardRelu(x));
  }

  private branchFromPreActivated(pre: Tensor): Tensor {
    const out = this.bn2.forwardRelu(this.conv1.forward(pre)); // (N, planes, H/s, W/s)
    return this.conv2.forward(out);
  }

  private shortcutOf(x: Tensor, pre: () => Tensor): Tensor {
    const shortcut = this.requireShortcut('forward');
    return shortcut instanceof ProjectionShortcut ? shortcut.forward(pre()) : shortcut.forward(x);
  }

  forward(x: Tensor): Tensor {
    const pre = this.bn1.forwardRelu(x); // (N, Cin, H, W)
    const branch = this.branchFromPreActivated(pre);
    if (!this.downsample) return branch; // plain twin: y = F(x)
    return add(this.dropPath(branch), this.shortcutOf(x, () => pre)); // y = F(x) + x
  }

  lesionedForward(x: Tensor): Tensor {
    return this.shortcutOf(x, () => this.bn1.forwardRelu(x));
  }

  /** No BN ends this branch, so its last convolution starts at zero instead. */
  zeroInitResidual(): void {
    this.conv2.weight.f32.fill(0);
  }

  override describe(): string {
    return `${this.inChannels} -> ${this.planes}, stride=${this.conv1.stride[0]}, skip=${this.skipKind}, pre-activation`;
  }
}
