import { gelu, relu, sigmoid, tanh } from '../../autograd/functions/unary.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** max(x, 0). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** Exact GELU (PyTorch's default approximate='none'). */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Passes its input through (a placeholder where a layer is optional). */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
