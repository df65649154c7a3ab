import { flatten } from '../../autograd/functions/reshape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** Merge axes startDim..endDim (default: everything but the batch axis). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
