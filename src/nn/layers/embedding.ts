import { embedding } from '../../autograd/functions/embedding.js';
import { globalRng, type Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import { normal_ } from '../init.js';
import { Module, Parameter } from '../module.js';

/** A lookup table of `num` vectors of size `dim`, initialised N(0, 1) as PyTorch. */
export class Embedding extends Module {
  weight: Parameter;

  constructor(readonly num: number, readonly dim: number, options: { rng?: Rng } = {}) {
    super();
    this.weight = new Parameter(new Float32Array(num * dim), [num, dim]);
    normal_(this.weight, 0, 1, options.rng ?? globalRng());
  }

  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight);
  }

  override describe(): string {
    return `${this.num}, ${this.dim}`;
  }
}
