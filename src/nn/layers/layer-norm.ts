import { layerNorm } from '../../autograd/functions/layer-norm.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module, Parameter } from '../module.js';

/** Layer normalisation over the trailing axes (Ba et al. 2016), γ = 1, β = 0 initially. */
export class LayerNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: readonly number[];

  constructor(normalizedShape: number | readonly number[], readonly eps = 1e-5, elementwiseAffine = true) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    const n = this.normalizedShape.reduce((a, b) => a * b, 1);
    this.weight = elementwiseAffine ? new Parameter(new Float32Array(n).fill(1), this.normalizedShape) : null;
    this.bias = elementwiseAffine ? new Parameter(new Float32Array(n), this.normalizedShape) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps, 'LayerNorm');
  }

  override describe(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps}`;
  }
}
