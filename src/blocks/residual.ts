import { addRelu } from '../autograd/functions/add-relu.js';
import { add, mul } from '../autograd/functions/binary.js';
import { relu } from '../autograd/functions/unary.js';
import { BatchNorm2d } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { batchNormReluConv, convBatchNorm, convBatchNormTwice } from '../nn/layers/conv-batch-norm.js';
import { Module } from '../nn/module.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { setIdentityWeights } from './identity-weights.js';
import { makeShortcut, shortcutKindFor, type ResidualSkip, type Shortcut } from './shortcuts.js';
import type { JunctionRule, SkipBlock, SkipJunction } from './skip-block.js';
import type { SkipKind } from './skip.js';

/** A residual block's stride, skip kind, drop-path survival probability and init generator. */
export interface ResidualBlockOptions {
  /** Stride of the block's first spatial convolution (2 where a stage halves the resolution). */
  stride?: number;
  /**
   * This block's shortcut: 'identity', 'zero-pad' (option A), 'projection' (options B/C), or
   * 'none' for the plain twin, the identical main path without a shortcut (He et al. 2015 §4.1).
   * Default: identity where the block keeps the shape, a projection where it changes it (option
   * B, as torchvision).
   */
  skip?: ResidualSkip;
  /**
   * Stochastic depth (Huang et al. 2016, §3): the probability p_l that the residual branch is
   * kept for a sample during training. 1 (default) disables it. A plain block cannot use it:
   * its branch is its only path.
   */
  survivalProbability?: number;
  rng?: Rng;
}

/**
 * The common part of every residual block: one junction y = merge(F(x), shortcut(x)).
 * Subclasses define the branch F. The shortcut field is named `downsample`, torchvision's name,
 * because it is a state-dict key (`layer2.0.downsample.0.weight`); it is null in the plain twin.
 */
export abstract class ResidualBlock extends Module implements SkipBlock {
  abstract downsample: Shortcut | null;
  /** How F(x) and the shortcut meet: relu(F + S) in the original block, F + S in the pre-activation one. */
  abstract readonly merge: 'add' | 'add-relu';
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

  /** F(x), the residual branch alone (without drop-path). */
  abstract residual(x: Tensor): Tensor;

  /** Make F(x) start at zero so the block starts as its shortcut (Goyal et al. 2017 §5.1). */
  abstract zeroInitResidual(): void;

  /** The weights that end the branch: zeroing them makes F(x) = 0. */
  protected abstract lastBranchLayer(): Module;

  forwardJunctions(x: Tensor, rule: JunctionRule): Tensor {
    return rule(this.junction(x));
  }

  protected junction(x: Tensor, shortcutInput: () => Tensor = () => x, branch: () => Tensor = () => this.residual(x)): SkipJunction {
    return {
      kind: this.skipKind,
      merge: this.merge,
      input: x,
      branch: () => this.dropPath(branch()),
      shortcut: () => (this.downsample ? this.downsample.forward(shortcutInput()) : null),
      join: (f, s) => (this.merge === 'add-relu' ? (s ? addRelu(f, s) : relu(f)) : s ? add(f, s) : f),
    };
  }

  /**
   * A residual block with an identity shortcut becomes the identity when its branch is zero ("for
   * residual nets the identity is simply a zero branch"); a plain one when every layer passes its
   * input through (identity kernels, pass-through batch norms), which holds on x ≥ 0.
   */
  makeIdentity(): void {
    const where = `${this.constructor.name}(${this.describe()})`;
    if (this.downsample) {
      if (this.downsample.kind !== 'identity') throw new Error(`${where}: its '${this.downsample.kind}' shortcut changes the shape, so it cannot be an identity`);
      for (const p of this.lastBranchLayer().parameters()) p.f32.fill(0);
      return;
    }
    setIdentityWeights(this, where);
  }

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
}

/** The shortcut of a block built with `options`: its own `skip`, or option B by default. */
function blockShortcut(inChannels: number, outChannels: number, stride: number, options: ResidualBlockOptions, block: string): Shortcut | null {
  const kind = options.skip ?? shortcutKindFor('projection', inChannels !== outChannels || stride !== 1);
  return makeShortcut(kind, inChannels, outChannels, stride, { rng: options.rng, block });
}

/** The two-layer block of ResNet-18/34 and the CIFAR ResNets (He et al. 2015, Fig. 2 / Fig. 5 left). */
export class BasicBlock extends ResidualBlock {
  static readonly expansion = 1;
  readonly merge = 'add-relu';
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
    this.downsample = blockShortcut(inChannels, planes, stride, options, 'BasicBlock');
  }

  residual(x: Tensor): Tensor {
    return convBatchNormTwice([this.conv1, this.bn1], [this.conv2, this.bn2], x); // (N, planes, H/s, W/s)
  }

  forward(x: Tensor): Tensor {
    const layers = [[this.conv1, this.bn1], [this.conv2, this.bn2]] as const;
    // Plain twin: y = relu(F(x)), its last batch norm fused with the ReLU.
    if (!this.downsample) return convBatchNormTwice(...layers, x, { relu: true });
    const shortcut = this.downsample;
    if (this.training && this.survivalProbability < 1) return addRelu(this.dropPath(this.residual(x)), shortcut.forward(x));
    return convBatchNormTwice(...layers, x, { residual: () => shortcut.forward(x) }); // y = relu(F(x) + x)
  }

  zeroInitResidual(): void {
    this.bn2.weight?.f32.fill(0);
  }

  protected lastBranchLayer(): Module {
    return this.bn2;
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
  readonly merge = 'add-relu';
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
    this.downsample = blockShortcut(inChannels, outChannels, stride, options, 'Bottleneck');
  }

  residual(x: Tensor): Tensor {
    return convBatchNorm(this.conv3, this.bn3, this.firstLayers(x)); // (N, 4·planes, H/s, W/s)
  }

  private firstLayers(x: Tensor): Tensor {
    const out = convBatchNorm(this.conv1, this.bn1, x, true); // (N, planes, H, W)
    return convBatchNorm(this.conv2, this.bn2, out, true); // (N, planes, H/s, W/s)
  }

  forward(x: Tensor): Tensor {
    if (!this.downsample) return convBatchNorm(this.conv3, this.bn3, this.firstLayers(x), true); // plain twin: relu(F(x))
    return addRelu(this.dropPath(this.residual(x)), this.downsample.forward(x));
  }

  zeroInitResidual(): void {
    this.bn3.weight?.f32.fill(0);
  }

  protected lastBranchLayer(): Module {
    return this.bn3;
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
  readonly merge = 'add';
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
    this.downsample = blockShortcut(inChannels, planes, stride, options, 'PreActBlock');
  }

  residual(x: Tensor): Tensor {
    return this.branchFromPreActivated(this.bn1.forwardRelu(x));
  }

  private branchFromPreActivated(pre: Tensor): Tensor {
    return batchNormReluConv(this.bn2, this.conv2, this.conv1.forward(pre)); // (N, planes, H/s, W/s)
  }

  /** What the shortcut reads: the pre-activated input for a projection, x itself otherwise. */
  private shortcutInput(x: Tensor, pre: () => Tensor): Tensor {
    return this.downsample?.kind === 'projection' ? pre() : x;
  }

  forward(x: Tensor): Tensor {
    const pre = this.bn1.forwardRelu(x); // (N, Cin, H, W)
    const branch = this.branchFromPreActivated(pre);
    if (!this.downsample) return branch; // plain twin: y = F(x)
    return add(this.dropPath(branch), this.downsample.forward(this.shortcutInput(x, () => pre))); // y = F(x) + x
  }

  protected override junction(x: Tensor): SkipJunction {
    // bn1 runs once per pass however many parts ask for it (in training it updates its statistics).
    let pre: Tensor | null = null;
    const preActivated = (): Tensor => (pre ??= this.bn1.forwardRelu(x));
    return super.junction(x, () => this.shortcutInput(x, preActivated), () => this.branchFromPreActivated(preActivated()));
  }

  /** No BN ends this branch, so its last convolution starts at zero instead. */
  zeroInitResidual(): void {
    this.conv2.weight.f32.fill(0);
  }

  protected lastBranchLayer(): Module {
    return this.conv2;
  }

  override makeIdentity(): void {
    if (!this.downsample) {
      throw new Error(`PreActBlock(${this.describe()}): the plain twin rectifies its input before anything else, so no weights make it an identity on negative inputs`);
    }
    super.makeIdentity();
  }

  override describe(): string {
    return `${this.inChannels} -> ${this.planes}, stride=${this.conv1.stride[0]}, skip=${this.skipKind}, pre-activation`;
  }
}
