import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { ReLU } from './activations.js';
import { BatchNorm1d, BatchNorm2d } from './batch-norm.js';

/**
 * Run `layers` in order; a batch norm directly followed by a ReLU module runs as one fused op
 * (BatchNorm2d.forwardRelu, which falls back to the two forwards when either has hooks).
 */
export function runInOrder(layers: readonly Module[], x: Tensor): Tensor {
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!, next = layers[i + 1];
    if ((layer instanceof BatchNorm2d || layer instanceof BatchNorm1d) && next instanceof ReLU) {
      x = layer.forwardRelu(x, next);
      i++;
    } else {
      x = layer.forward(x);
    }
  }
  return x;
}

/** Layers applied in order; children are named 0, 1, 2… as in PyTorch (`features.0.weight`). */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }

  override *namedChildren(): Generator<[string, Module]> {
    for (let i = 0; i < this.layers.length; i++) yield [String(i), this.layers[i]!];
  }

  forward(x: Tensor): Tensor {
    return runInOrder(this.layers, x);
  }

  get length(): number {
    return this.layers.length;
  }

  /** The i-th layer (0-based); throws when out of range. */
  at(i: number): Module {
    const m = this.layers.at(i);
    if (!m) throw new RangeError(`Sequential: no layer ${i} (have ${this.layers.length})`);
    return m;
  }
}
