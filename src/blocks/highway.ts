import { affine } from '../autograd/functions/scalar.js';
import { add, mul } from '../autograd/functions/binary.js';
import { relu, sigmoid } from '../autograd/functions/unary.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Linear } from '../nn/layers/linear.js';
import { Module } from '../nn/module.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { setIdentityWeights } from './identity-weights.js';
import { evaluateJunction, type JunctionRule, type SkipBlock, type SkipJunction } from './skip-block.js';

/** The skips a highway layer can have: gated, or none (its plain twin). */
export type HighwaySkip = 'gated' | 'none';

/**
 * A highway layer: skip kind, transform-gate bias (negative: carry at first, Srivastava et al. 2015 §2.2), init generator.
 */
export interface HighwayOptions {
  /** 'gated' (the highway layer) or 'none' (the plain twin, y = H(x)). */
  skip?: HighwaySkip;
  /**
   * Initial bias of the transform gate T. Negative values make the layer start close to a carry
   * (y ≈ x); Srivastava et al. 2015 §2.2 suggest −1 to −3. Default −2.
   */
  gateBias?: number;
  rng?: Rng;
}

function checkGateBias(value: number, layer: string): number {
  if (!Number.isFinite(value)) throw new Error(`${layer}: gateBias ${value} must be a finite number`);
  return value;
}

function checkSkip(skip: HighwaySkip, layer: string): HighwaySkip {
  if (skip !== 'gated' && skip !== 'none') throw new Error(`${layer}: skip '${String(skip)}' is not 'gated' or 'none'`);
  return skip;
}

/**
 * y = H(x)·T(x) + x·(1 − T(x)) (Srivastava et al. 2015, eq. 3) with H = ReLU(W_H x + b_H) and
 * the transform gate T = σ(W_T x + b_T). `transform` is H's affine map and `gate` is T's; the
 * plain twin keeps `transform` and drops the gate (y = H(x)). The subclasses choose the maps.
 */
abstract class HighwayBase extends Module implements SkipBlock {
  abstract transform: Module;
  abstract gate: Module | null;

  get skipKind(): HighwaySkip {
    return this.gate ? 'gated' : 'none';
  }

  forward(x: Tensor): Tensor {
    return this.forwardJunctions(x, evaluateJunction);
  }

  /** One gated junction: the branch is H(x), the skip carries x, the gate T(x) mixes them. */
  forwardJunctions(x: Tensor, rule: JunctionRule): Tensor {
    let gate: Tensor | null = null;
    const gateOf = (): Tensor => (gate ??= this.gateValues(x)); // T(x), computed once per pass
    const junction: SkipJunction = {
      kind: this.skipKind,
      merge: 'gated',
      input: x,
      branch: () => relu(this.transform.forward(x)), // H(x)
      shortcut: () => (this.gate ? x : null),
      join: (h, carried) => (carried ? add(mul(h, gateOf()), mul(carried, affine(gateOf(), -1, 1))) : h), // H·T + x·(1 − T)
      ...(this.gate ? { gate: gateOf } : {}),
    };
    return rule(junction);
  }

  /** T(x), the transform gate's activations (Srivastava et al. Fig. 2 plots their means). */
  gateValues(x: Tensor): Tensor {
    if (!this.gate) throw new Error(`${this.constructor.name}.gateValues: the plain twin has no gate`);
    return sigmoid(this.gate.forward(x));
  }

  /**
   * A highway layer becomes the identity with its gate closed, T ≡ 0 (zero weights and a bias
   * so negative that σ underflows to 0), so y = x; its plain twin with H itself the identity
   * (identity weights, then the ReLU changes nothing on x ≥ 0).
   */
  makeIdentity(): void {
    if (!this.gate) {
      setIdentityWeights(this.transform, `${this.constructor.name}.transform`);
      return;
    }
    for (const [name, p] of this.gate.namedParameters()) p.f32.fill(name === 'bias' ? -1e4 : 0);
  }
}

/** A fully connected highway layer of `width` units. */
export class HighwayLayer extends HighwayBase {
  transform: Linear;
  gate: Linear | null;

  constructor(readonly width: number, options: HighwayOptions = {}) {
    super();
    this.transform = new Linear(width, width, { rng: options.rng });
    const skip = checkSkip(options.skip ?? 'gated', 'HighwayLayer');
    this.gate = skip === 'gated' ? new Linear(width, width, { rng: options.rng }) : null;
    this.gate?.bias?.f32.fill(checkGateBias(options.gateBias ?? -2, 'HighwayLayer'));
  }
}

/** A convolutional highway layer: H and T are 3x3 convolutions that keep the channel count (§4.1). */
export class ConvHighwayLayer extends HighwayBase {
  transform: Conv2d;
  gate: Conv2d | null;

  constructor(readonly channels: number, options: HighwayOptions & { kernelSize?: number } = {}) {
    super();
    const k = options.kernelSize ?? 3;
    if (k % 2 !== 1) throw new Error(`ConvHighwayLayer: kernelSize ${k} must be odd so the output keeps the input's size`);
    const skip = checkSkip(options.skip ?? 'gated', 'ConvHighwayLayer');
    this.transform = new Conv2d(channels, channels, k, { padding: (k - 1) / 2, rng: options.rng });
    this.gate = skip === 'gated' ? new Conv2d(channels, channels, k, { padding: (k - 1) / 2, rng: options.rng }) : null;
    this.gate?.bias?.f32.fill(checkGateBias(options.gateBias ?? -2, 'ConvHighwayLayer'));
  }
}
