import { flatten } from '../autograd/functions/reshape.js';
import { BatchNorm2d } from '../nn/layers/batch-norm.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Linear } from '../nn/layers/linear.js';
import { MaxPool2d } from '../nn/layers/pooling.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SkipEdge } from '../blocks/skip.js';
import { SkipModel } from './skip-model.js';

export interface SimpleConvNetOptions {
  inChannels?: number;
  /** Input height = width (28 for MNIST-like data). */
  imageSize?: number;
  width?: number;
  numClasses?: number;
  rng?: Rng;
}

/** Two conv-BN-ReLU-pool stages and a linear classifier: the small baseline conv net. */
export class SimpleConvNet extends SkipModel {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  pool: MaxPool2d;
  fc: Linear;

  constructor(options: SimpleConvNetOptions = {}) {
    super();
    const rng = options.rng ?? globalRng();
    const width = options.width ?? 32;
    const size = options.imageSize ?? 28;
    this.conv1 = new Conv2d(options.inChannels ?? 1, width, 3, { padding: 1, bias: false, rng });
    this.bn1 = new BatchNorm2d(width);
    this.conv2 = new Conv2d(width, 2 * width, 3, { padding: 1, bias: false, rng });
    this.bn2 = new BatchNorm2d(2 * width);
    this.pool = new MaxPool2d(2);
    const pooled = Math.floor(Math.floor(size / 2) / 2);
    this.fc = new Linear(2 * width * pooled * pooled, options.numClasses ?? 10, { rng });
  }

  /** No skips: this is a baseline without any. */
  skips(): SkipEdge[] {
    return [];
  }

  forward(x: Tensor): Tensor {
    let h = this.pool.forward(this.bn1.forwardRelu(this.conv1.forward(x))); // (N, w, H/2, W/2)
    h = this.pool.forward(this.bn2.forwardRelu(this.conv2.forward(h))); // (N, 2w, H/4, W/4)
    return this.fc.forward(flatten(h));
  }
}
