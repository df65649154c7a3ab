import { flatten } from '../autograd/functions/reshape.js';
import { relu } from '../autograd/functions/unary.js';
import { Linear } from '../nn/layers/linear.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SkipEdge } from '../blocks/skip.js';
import { SkipModel } from './skip-model.js';

export interface MlpOptions {
  inputSize?: number;
  /** Widths of the hidden layers (default 256, 256: the classic MNIST MLP). */
  hidden?: readonly number[];
  numClasses?: number;
  rng?: Rng;
}

/** A plain multi-layer perceptron on flattened images: 784-256-256-10 by default. */
export class Mlp extends SkipModel {
  layers: Linear[];

  constructor(options: MlpOptions = {}) {
    super();
    const rng = options.rng ?? globalRng();
    const widths = [options.inputSize ?? 784, ...(options.hidden ?? [256, 256]), options.numClasses ?? 10];
    this.layers = widths.slice(1).map((w, i) => new Linear(widths[i]!, w, { rng }));
  }

  /** No skips: this is a baseline without any. */
  skips(): SkipEdge[] {
    return [];
  }

  forward(x: Tensor): Tensor {
    let h = x.ndim > 2 ? flatten(x) : x; // (N, C·H·W)
    this.layers.forEach((layer, i) => {
      h = layer.forward(h);
      if (i < this.layers.length - 1) h = relu(h);
    });
    return h;
  }
}
