import { avgPool2d } from '../autograd/functions/pooling.js';
import { pad } from '../autograd/functions/pad.js';
import { BatchNorm2d } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Sequential } from '../nn/layers/sequential.js';
import { Module } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';
import { formatShape, ShapeError } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SkipKind } from './skip.js';

/**
 * The shortcut path of a residual block, as a declared object (He et al. 2015, §3.3). A block
 * with `skip: 'none'` has no shortcut at all (null), never an object that returns zeros.
 */
export interface Shortcut extends Module {
  readonly kind: ShortcutKind;
}

/** The kinds of a residual block's shortcut module. */
export type ShortcutKind = Extract<SkipKind, 'identity' | 'zero-pad' | 'projection'>;

/** y = x: the shortcut of every block that keeps its input's shape (options A and B). */
export class IdentityShortcut extends Module implements Shortcut {
  readonly kind = 'identity' as const;

  forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * Option A (He et al. 2015 §3.3 and §4.2): parameter-free. Subsample by taking every `stride`-th
 * pixel (x[:, :, ::s, ::s], done as a 1x1 average pool with stride s, which is exactly that), then
 * append zero channels after the identity channels (channels 0..Cin−1 carry x). Some ports pad
 * on both sides instead; the placement changes which weights see x, so it is fixed here and in
 * the PyTorch fixture script (docs/fixture-weights.md).
 */
export class ZeroPadShortcut extends Module implements Shortcut {
  readonly kind = 'zero-pad' as const;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly stride: number) {
    super();
    if (outChannels < inChannels) {
      throw new Error(`ZeroPadShortcut: cannot zero-pad ${inChannels} channels down to ${outChannels}; use a projection shortcut`);
    }
    if (!Number.isInteger(stride) || stride < 1) throw new Error(`ZeroPadShortcut: stride ${stride} must be a positive integer`);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`ZeroPadShortcut(${this.inChannels} -> ${this.outChannels}): expected input (N, ${this.inChannels}, H, W), got ${formatShape(x.shape)}`);
    }
    // (N, Cin, H, W) -> (N, Cin, ceil(H/s), ceil(W/s)), matching a 3x3 stride-s conv with padding 1.
    const subsampled = this.stride > 1 ? avgPool2d(x, 1, { stride: this.stride }, 'ZeroPadShortcut') : x;
    const extra = this.outChannels - this.inChannels;
    if (extra === 0) return subsampled;
    // pad() lists (before, after) pairs from the last axis: W, H, then C.
    return pad(subsampled, [0, 0, 0, 0, 0, extra]); // (N, Cout, H', W')
  }

  override describe(): string {
    return `${this.inChannels} -> ${this.outChannels}, stride=${this.stride}`;
  }
}

/**
 * Options B/C: W_s x as a 1x1 convolution (no bias) followed by BatchNorm (He et al. 2015 eq. 2).
 * A Sequential so the state-dict keys are torchvision's `downsample.0.weight`, `downsample.1.*`.
 */
export class ProjectionShortcut extends Sequential implements Shortcut {
  readonly kind = 'projection' as const;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly stride: number, options: { rng?: Rng } = {}) {
    super(
      new Conv2d(inChannels, outChannels, 1, { stride, bias: false, rng: options.rng }),
      new BatchNorm2d(outChannels),
    );
  }

  override describe(): string {
    return `${this.inChannels} -> ${this.outChannels}, stride=${this.stride}`;
  }
}

/** The skip kinds a residual block can have: one of the three shortcuts, or none (the plain twin). */
export type ResidualSkip = ShortcutKind | 'none';

/**
 * The shortcut of one residual block mapping `inChannels` to `outChannels` with `stride`, of
 * exactly `kind` (null for 'none'). An identity cannot carry a change of shape.
 */
export function makeShortcut(kind: ResidualSkip, inChannels: number, outChannels: number, stride: number, options: { rng?: Rng; block?: string } = {}): Shortcut | null {
  const where = options.block ?? 'makeShortcut';
  switch (kind) {
    case 'none': return null;
    case 'identity':
      if (inChannels !== outChannels || stride !== 1) {
        throw new Error(`${where}: an identity shortcut cannot map ${inChannels} channels at stride ${stride} to ${outChannels}; use 'zero-pad' (option A) or 'projection' (option B)`);
      }
      return new IdentityShortcut();
    case 'zero-pad': return new ZeroPadShortcut(inChannels, outChannels, stride);
    case 'projection': return new ProjectionShortcut(inChannels, outChannels, stride, { rng: options.rng });
    default: throw new Error(`${where}: skip '${String(kind)}' is not 'identity', 'zero-pad', 'projection' or 'none'`);
  }
}

/**
 * He et al. 2015 §3.3's shortcut options in the skip vocabulary: the shortcut a residual net
 * with option `skip` gives a block, by whether the block changes the shape.
 *
 * | net's `skip`           | §3.3     | shape kept | shape changes |
 * |------------------------|----------|------------|---------------|
 * | `identity`, `zero-pad` | option A | identity   | zero-pad      |
 * | `projection`           | option B | identity   | projection    |
 * | `none`                 | plain    | none       | none          |
 *
 * `identity` is the paper's own name for option A ("identity shortcuts ... zero-padding for
 * increasing dimensions", §4.1 and §4.2); `zero-pad` names the same net by its downsampling
 * shortcuts. Option C (projections on every block) is a choice per block, not per net.
 */
export function shortcutKindFor(skip: ResidualSkip, shapeChanges: boolean): ResidualSkip {
  switch (skip) {
    case 'none': return 'none';
    case 'identity':
    case 'zero-pad': return shapeChanges ? 'zero-pad' : 'identity';
    case 'projection': return shapeChanges ? 'projection' : 'identity';
    default: throw new Error(`skip '${String(skip)}' is not 'identity', 'zero-pad', 'projection' or 'none'`);
  }
}
