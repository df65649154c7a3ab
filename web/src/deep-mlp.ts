/**
 * A deep fully connected net for the vanishing-gradient preset: `depth` hidden layers of `width`
 * units (Linear → [BatchNorm1d →] ReLU), then a linear classifier. Without batch norm it is the
 * plain twin of the fully connected highway net (Srivastava et al. 2015 §4.1: the same layers
 * without gates); with it, each hidden layer is normalised before its nonlinearity as Ioffe &
 * Szegedy 2015 §3.2 prescribe, which He et al. 2015 §4.1 credit with keeping plain nets'
 * gradients healthy.
 */
import { flatten } from '../../src/autograd/functions/reshape.js';
import { relu } from '../../src/autograd/functions/unary.js';
import type { SkipEdge } from '../../src/blocks/skip.js';
import { SkipModel } from '../../src/models/skip-model.js';
import { BatchNorm1d } from '../../src/nn/layers/batch-norm.js';
import { Linear } from '../../src/nn/layers/linear.js';
import type { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';

export interface DeepMlpOptions {
  inFeatures: number;
  depth: number;
  width: number;
  numClasses: number;
  batchNorm: boolean;
  rng: Rng;
}

export class DeepMlp extends SkipModel {
  layers: Linear[];
  norms: BatchNorm1d[];
  classifier: Linear;

  constructor(o: DeepMlpOptions) {
    super();
    this.layers = Array.from({ length: o.depth }, (_, i) => new Linear(i === 0 ? o.inFeatures : o.width, o.width, { rng: o.rng }));
    this.norms = o.batchNorm ? this.layers.map(() => new BatchNorm1d(o.width)) : [];
    this.classifier = new Linear(o.width, o.numClasses, { rng: o.rng });
  }

  /** No skips: this is the plain net of the comparison. */
  skips(): SkipEdge[] {
    return [];
  }

  forward(x: Tensor): Tensor {
    let h = flatten(x); // (N, C·H·W)
    this.layers.forEach((layer, i) => {
      const norm = this.norms[i];
      h = norm ? norm.forwardRelu(layer.forward(h)) : relu(layer.forward(h)); // (N, width)
    });
    return this.classifier.forward(h); // (N, classes)
  }
}
