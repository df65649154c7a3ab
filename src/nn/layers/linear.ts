import { linear } from '../../autograd/functions/linear.js';
import { globalRng, type Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import { defaultBiasInit_, defaultWeightInit_ } from '../init.js';
import { Module, Parameter } from '../module.js';

/** Linear options: bias (default on) and the generator of the Kaiming-uniform init. */
export interface LinearOptions {
  bias?: boolean;
  rng?: Rng;
}

/** y = x·Wᵀ + b (PyTorch's nn.Linear and its default initialisation). */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    const rng = options.rng ?? globalRng();
    this.weight = new Parameter(new Float32Array(outFeatures * inFeatures), [outFeatures, inFeatures]);
    defaultWeightInit_(this.weight, rng);
    this.bias = options.bias === false ? null : new Parameter(new Float32Array(outFeatures), [outFeatures]);
    if (this.bias) defaultBiasInit_(this.bias, inFeatures, rng);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override multiplyAdds(_input: Tensor, output: Tensor): number {
    return output.size * this.inFeatures;
  }

  override describe(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
