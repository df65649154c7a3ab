import { conv2d } from '../../autograd/functions/conv2d.js';
import { type Conv2dOptions, pair, type IntOrPair } from '../../autograd/functions/conv-params.js';
import { globalRng, type Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import { defaultBiasInit_, defaultWeightInit_ } from '../init.js';
import { Module, Parameter } from '../module.js';

/** Conv2d options as PyTorch's: stride, padding, dilation (pixels), groups, bias, and the init generator. */
export interface Conv2dLayerOptions {
  stride?: IntOrPair;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  groups?: number;
  bias?: boolean;
  rng?: Rng;
}

/** 2-D convolution layer (PyTorch's nn.Conv2d: OIHW weight, default init, bias on by default). */
export class Conv2d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: IntOrPair, options: Conv2dLayerOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? 1);
    this.padding = pair(options.padding ?? 0);
    this.dilation = pair(options.dilation ?? 1);
    this.groups = options.groups ?? 1;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new Error(`Conv2d: channels ${inChannels} -> ${outChannels} are not divisible by groups=${this.groups}`);
    }
    const rng = options.rng ?? globalRng();
    const shape = [outChannels, inChannels / this.groups, this.kernelSize[0], this.kernelSize[1]];
    this.weight = new Parameter(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
    defaultWeightInit_(this.weight, rng);
    this.bias = options.bias === false ? null : new Parameter(new Float32Array(outChannels), [outChannels]);
    if (this.bias) defaultBiasInit_(this.bias, shape[1]! * shape[2]! * shape[3]!, rng);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.params, 'Conv2d');
  }

  /** Stride, padding, dilation and groups, as the conv2d op takes them (also for fused ops reading this layer). */
  get params(): Conv2dOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  override multiplyAdds(_input: Tensor, output: Tensor): number {
    return output.size * (this.inChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
  }

  override describe(): string {
    const k = this.kernelSize.join('x');
    return `${this.inChannels}, ${this.outChannels}, kernel=${k}, stride=${this.stride.join('x')}, padding=${this.padding.join('x')}` +
      `${this.groups > 1 ? `, groups=${this.groups}` : ''}${this.bias ? '' : ', bias=false'}`;
  }
}
