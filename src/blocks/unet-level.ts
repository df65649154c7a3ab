import { concat } from '../autograd/functions/concat.js';
import { pad } from '../autograd/functions/pad.js';
import { maxPool2d } from '../autograd/functions/pooling.js';
import { BatchNorm2d } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { convBatchNorm } from '../nn/layers/conv-batch-norm.js';
import { ConvTranspose2d } from '../nn/layers/conv-transpose2d.js';
import { Module } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { evaluateJunction, type JunctionRule, type SkipBlock } from './skip-block.js';

/**
 * Two 3x3 convolutions, each followed by BN and ReLU (Ronneberger et al. 2015 §2 use unpadded
 * convolutions without BN; padding 1 keeps sizes, so only pooling of odd sizes needs care, and BN
 * is the now-standard addition that lets deep U-Nets train from scratch).
 */
export class DoubleConv extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;

  constructor(readonly inChannels: number, readonly outChannels: number, options: { rng?: Rng } = {}) {
    super();
    this.conv1 = new Conv2d(inChannels, outChannels, 3, { padding: 1, bias: false, rng: options.rng });
    this.bn1 = new BatchNorm2d(outChannels);
    this.conv2 = new Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false, rng: options.rng });
    this.bn2 = new BatchNorm2d(outChannels);
  }

  forward(x: Tensor): Tensor {
    const out = convBatchNorm(this.conv1, this.bn1, x, true);
    return convBatchNorm(this.conv2, this.bn2, out, true);
  }
}

/**
 * How to reconcile the upsampled map with the encoder map when pooling floored an odd size:
 * 'crop' centre-crops the encoder map (the paper's choice, §2) and 'pad' zero-pads the upsampled
 * map back to the encoder's size (so the output keeps the input's size).
 */
export type OddSizePolicy = 'crop' | 'pad';

/** The skips a U-Net level can have: concatenation, or none (its plain twin). */
export type UNetSkip = 'concat' | 'none';

/** A U-Net level: the long skip kind, how odd sizes are handled, and the init generator. */
export interface UNetLevelOptions {
  /** 'concat' (U-Net's long skip) or 'none' (the plain twin: the decoder sees only the upsampled map). */
  skip?: UNetSkip;
  oddSizes?: OddSizePolicy;
  rng?: Rng;
}

/**
 * One level of the U-Net (Ronneberger et al. 2015, Fig. 1): encode (conv-conv), 2x2 max pool,
 * the `inner` part (the next level down, or the bottom convolutions), 2x2 transposed-conv
 * upsampling to `width` channels, concatenation with the encoder map (the long skip), decode
 * (conv-conv). `inner` must map `width` to `innerChannels` channels.
 */
export class UNetLevel extends Module implements SkipBlock {
  encode: DoubleConv;
  inner: Module;
  up: ConvTranspose2d;
  decode: DoubleConv;
  readonly skipKind: UNetSkip;
  readonly oddSizes: OddSizePolicy;

  constructor(readonly inChannels: number, readonly width: number, inner: Module, innerChannels: number, options: UNetLevelOptions = {}) {
    super();
    this.skipKind = options.skip ?? 'concat';
    if (this.skipKind !== 'concat' && this.skipKind !== 'none') throw new Error(`UNetLevel: skip '${String(this.skipKind)}' is not 'concat' or 'none'`);
    this.oddSizes = options.oddSizes ?? 'pad';
    if (this.oddSizes !== 'crop' && this.oddSizes !== 'pad') throw new Error(`UNetLevel: oddSizes '${String(this.oddSizes)}' is not 'crop' or 'pad'`);
    this.encode = new DoubleConv(inChannels, width, { rng: options.rng });
    this.inner = inner;
    this.up = new ConvTranspose2d(innerChannels, width, 2, { stride: 2, rng: options.rng });
    // The concatenation doubles the decoder's input; the plain twin's decoder sees `width` channels.
    this.decode = new DoubleConv(this.skipKind === 'concat' ? 2 * width : width, width, { rng: options.rng });
  }

  forward(x: Tensor): Tensor {
    return this.forwardJunctions(x, evaluateJunction);
  }

  /**
   * One junction between encoder and decoder: the skip carries the encoder map, the branch is
   * pool → inner → upsample, and the junction concatenates them for the decoder.
   */
  forwardJunctions(x: Tensor, rule: JunctionRule): Tensor {
    const encoded = this.encode.forward(x); // (N, width, H, W)
    if (encoded.shape[2]! < 2 || encoded.shape[3]! < 2) {
      throw new Error(`UNetLevel: a ${encoded.shape[2]}x${encoded.shape[3]} map cannot be pooled; use fewer levels or a larger input`);
    }
    const upsampled = (): Tensor => {
      const pooled = maxPool2d(encoded, 2, {}, 'UNetLevel'); // (N, width, ⌊H/2⌋, ⌊W/2⌋)
      const up = this.up.forward(this.inner.forward(pooled)); // (N, width, 2⌊H/2⌋, 2⌊W/2⌋)
      return this.oddSizes === 'pad' ? resizeTo(up, encoded.shape[2]!, encoded.shape[3]!) : up; // pad up to (H, W)
    };
    let branch: Tensor | null = null;
    const merged = rule({
      kind: this.skipKind,
      merge: 'concat',
      input: encoded,
      branch: () => (branch ??= upsampled()),
      // 'crop' centre-crops the encoder map to the upsampled size (the paper's choice, §2).
      shortcut: () => {
        if (this.skipKind === 'none') return null;
        return this.oddSizes === 'crop' ? resizeTo(encoded, (branch ??= upsampled()).shape[2]!, branch.shape[3]!) : encoded;
      },
      join: (f, s) => (s ? concat([s, f], 1) : f), // (N, 2·width, h, w), or (N, width, h, w) in the plain twin
    });
    return this.decode.forward(merged); // (N, width, h, w)
  }

  /** A level maps its input to `width` channels through encoder, pooling and decoder: not an identity. */
  makeIdentity(): void {
    throw new Error(`UNetLevel(${this.inChannels} -> ${this.width}): a U-Net level cannot be an identity (its encoder and decoder change the width, and pooling loses resolution)`);
  }
}

/** Centre-crop or zero-pad the spatial axes of x (N, C, H, W) to (h, w); pad() crops with negative amounts. */
function resizeTo(x: Tensor, h: number, w: number): Tensor {
  const dh = h - x.shape[2]!;
  const dw = w - x.shape[3]!;
  if (dh === 0 && dw === 0) return x;
  const top = Math.trunc(dh / 2);
  const left = Math.trunc(dw / 2);
  return pad(x, [left, dw - left, top, dh - top]);
}
