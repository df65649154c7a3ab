import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

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
    for (const layer of this.layers) x = layer.forward(x);
    return x;
  }

  get length(): number {
    return this.layers.length;
  }

  at(i: number): Module {
    const m = this.layers.at(i);
    if (!m) throw new RangeError(`Sequential: no layer ${i} (have ${this.layers.length})`);
    return m;
  }
}
