import { DoubleConv, UNetLevel, type OddSizePolicy, type UNetSkip } from '../blocks/unet-level.js';
import { checkSkipKind, type SkipEdge } from '../blocks/skip.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { formatShape, ShapeError } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { initLikeTorchvision, positiveInteger, SkipModel } from './skip-model.js';

/** The values of `skip` a U-Net accepts, its default first. */
export const UNET_SKIPS: readonly UNetSkip[] = ['concat', 'none'];

/** U-Net (Ronneberger et al. 2015): levels, base width, classes per pixel, long skips, odd-size policy. */
export interface UNetOptions {
  /** Number of poolings (4 in Ronneberger et al. 2015, Fig. 1). */
  levels?: number;
  /** Channels of the top level, doubling at each level down (64 in the paper). */
  baseWidth?: number;
  inChannels?: number;
  /** Output channels: one logit map per class (2 in the paper). */
  numClasses?: number;
  skip?: UNetSkip;
  oddSizes?: OddSizePolicy;
  rng?: Rng;
}

/**
 * U-Net (Ronneberger et al. 2015): `levels` nested UNetLevels around a bottom DoubleConv, then a
 * 1x1 conv to per-pixel class logits. Input (N, C, H, W) -> output (N, classes, H, W) with
 * oddSizes 'pad' (any H, W); with 'crop' the output shrinks where pooling floored odd sizes.
 */
export class UNet extends SkipModel {
  level: UNetLevel;
  head: Conv2d;
  readonly inChannels: number;
  readonly levels: number;

  constructor(options: UNetOptions = {}) {
    super();
    const where = 'unet';
    this.levels = positiveInteger(options.levels ?? 4, 'levels', where);
    const width = positiveInteger(options.baseWidth ?? 64, 'baseWidth', where);
    this.inChannels = positiveInteger(options.inChannels ?? 1, 'inChannels', where);
    const numClasses = positiveInteger(options.numClasses ?? 2, 'numClasses', where);
    const skip = checkSkipKind(options.skip ?? 'concat', where, UNET_SKIPS) as UNetSkip;
    const rng = options.rng ?? globalRng();
    // Build from the bottom up: the bottom convolutions run at width · 2^levels.
    const widths = Array.from({ length: this.levels + 1 }, (_, i) => width * 2 ** i);
    let inner: DoubleConv | UNetLevel = new DoubleConv(widths[this.levels - 1]!, widths[this.levels]!, { rng });
    let innerChannels = widths[this.levels]!;
    for (let d = this.levels - 1; d >= 0; d--) {
      const input = d === 0 ? this.inChannels : widths[d - 1]!;
      inner = new UNetLevel(input, widths[d]!, inner, innerChannels, { skip, oddSizes: options.oddSizes, rng });
      innerChannels = widths[d]!;
    }
    this.level = inner as UNetLevel;
    this.head = new Conv2d(width, numClasses, 1, { rng });
    initLikeTorchvision(this, rng);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`unet: expected input (N, ${this.inChannels}, H, W), got ${formatShape(x.shape)}`);
    }
    return this.head.forward(this.level.forward(x)); // (N, classes, H, W)
  }

  /** The levels from the top (`level`) down (`level.inner`, ...). */
  levelBlocks(): [string, UNetLevel][] {
    const out: [string, UNetLevel][] = [];
    let path = 'level';
    let current: unknown = this.level;
    while (current instanceof UNetLevel) {
      out.push([path, current]);
      current = current.inner;
      path += '.inner';
    }
    return out;
  }

  /** One long skip per level, from its encoder to its decoder. */
  skips(): SkipEdge[] {
    return this.levelBlocks().map(([path, level]) => ({ from: `${path}.encode`, to: `${path}.decode`, kind: level.skipKind, block: path }));
  }
}
