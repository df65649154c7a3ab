import { dropout } from '../../autograd/functions/dropout.js';
import { globalRng, type Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** Inverted dropout, active only in training mode; masks come from `rng`. */
export class Dropout extends Module {
  private readonly rng: Rng;

  constructor(readonly p = 0.5, options: { rng?: Rng } = {}) {
    super();
    if (p < 0 || p > 1) throw new RangeError(`Dropout: probability ${p} is outside [0, 1]`);
    this.rng = options.rng ?? globalRng();
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.rng);
  }

  override describe(): string {
    return `p=${this.p}`;
  }
}
