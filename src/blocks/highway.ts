import { affine } from '../autograd/functions/scalar.js';
import { add, mul } from '../autograd/functions/binary.js';
import { relu, sigmoid } from '../autograd/functions/unary.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Linear } from '../nn/layers/linear.js';
import { Module } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SkipBlock } from './skip.js';

export interface HighwayOptions {
  /** 'gated' (the highway layer) or 'none' (the plain twin, y = H(x)). */
  skip?: 'gated' | 'none';
  /**
   * Initial bias of the transform gate T. Negative values make the layer start close to a carry
   * (y ≈ x); Srivastava et al. 2015 §2.2 suggest −1 to −3. Default −2.
   */
  gateBias?: number;
  rng?: Rng;
}

/**
 * y = H(x)·T(x) + x·(1 − T(x)) (Srivastava et al. 2015, eq. 3) with H = ReLU(W_H x + b_H) and
 * the transform gate T = σ(W_T x + b_T). `transform` is H's affine map and `gate` is T's; the
 * plain twin keeps `transform` and drops the gate (y = H(x)).
 */
function gatedMerge(h: Tensor, x: Tensor, gate: Tensor): Tensor {
  const carry = affine(gate, -1, 1); // C = 1 − T
  return add(mul(h, gate), mul(x, carry)); // H·T + x·C
}

function checkGateBias(value: number, layer: string): number {
  if (!Number.isFinite(value)) throw new Error(`${layer}: gateBias ${value} must be a finite number`);
  return value;
}

/** A fully connected highway layer of `width` units. */
export class HighwayLayer extends Module implements SkipBlock {
  transform: Linear;
  gate: Linear | null;

  constructor(readonly width: number, options: HighwayOptions = {}) {
    super();
    this.transform = new Linear(width, width, { rng: options.rng });
    const skip = options.skip ?? 'gated';
    if (skip !== 'gated' && skip !== 'none') throw new Error(`HighwayLayer: skip '${String(skip)}' is not 'gated' or 'none'`);
    this.gate = skip === 'gated' ? new Linear(width, width, { rng: options.rng }) : null;
    this.gate?.bias?.f32.fill(checkGateBias(options.gateBias ?? -2, 'HighwayLayer'));
  }

  get skipKind(): 'gated' | 'none' {
    return this.gate ? 'gated' : 'none';
  }

  forward(x: Tensor): Tensor {
    const h = relu(this.transform.forward(x)); // H(x), (N, width)
    if (!this.gate) return h;
    return gatedMerge(h, x, sigmoid(this.gate.forward(x)));
  }

  /** T(x), the transform gate's activations (Srivastava et al. Fig. 2 plots their means). */
  gateValues(x: Tensor): Tensor {
    if (!this.gate) throw new Error('HighwayLayer.gateValues: the plain twin has no gate');
    return sigmoid(this.gate.forward(x));
  }
}

/** A convolutional highway layer: H and T are 3x3 convolutions that keep the channel count (§4.1). */
export class ConvHighwayLayer extends Module implements SkipBlock {
  transform: Conv2d;
  gate: Conv2d | null;

  constructor(readonly channels: number, options: HighwayOptions & { kernelSize?: number } = {}) {
    super();
    const k = options.kernelSize ?? 3;
    if (k % 2 !== 1) throw new Error(`ConvHighwayLayer: kernelSize ${k} must be odd so the output keeps the input's size`);
    const skip = options.skip ?? 'gated';
    if (skip !== 'gated' && skip !== 'none') throw new Error(`ConvHighwayLayer: skip '${String(skip)}' is not 'gated' or 'none'`);
    this.transform = new Conv2d(channels, channels, k, { padding: (k - 1) / 2, rng: options.rng });
    this.gate = skip === 'gated' ? new Conv2d(channels, channels, k, { padding: (k - 1) / 2, rng: options.rng }) : null;
    this.gate?.bias?.f32.fill(checkGateBias(options.gateBias ?? -2, 'ConvHighwayLayer'));
  }

  get skipKind(): 'gated' | 'none' {
    return this.gate ? 'gated' : 'none';
  }

  forward(x: Tensor): Tensor {
    const h = relu(this.transform.forward(x)); // (N, C, H, W)
    if (!this.gate) return h;
    return gatedMerge(h, x, sigmoid(this.gate.forward(x)));
  }

  gateValues(x: Tensor): Tensor {
    if (!this.gate) throw new Error('ConvHighwayLayer.gateValues: the plain twin has no gate');
    return sigmoid(this.gate.forward(x));
  }
}
