import { convTranspose2d } from '../../autograd/functions/conv-transpose2d.js';
import { pair, type IntOrPair } from '../../autograd/functions/conv-params.js';
import { globalRng, type Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import { defaultBiasInit_, kaimingUniform_ } from '../init.js';
import { Module, Parameter } from '../module.js';

/** ConvTranspose2d options as PyTorch's: stride, padding, output padding, dilation (pixels), groups, bias, init generator. */
export interface ConvTranspose2dLayerOptions {
  stride?: IntOrPair;
  padding?: IntOrPair;
  outputPadding?: IntOrPair;
  dilation?: IntOrPair;
  groups?: number;
  bias?: boolean;
  rng?: Rng;
}

/** Transposed convolution (PyTorch's nn.ConvTranspose2d: weight (in, out/groups, KH, KW)). */
export class ConvTranspose2d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly outputPadding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: IntOrPair, options: ConvTranspose2dLayerOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? 1);
    this.padding = pair(options.padding ?? 0);
    this.outputPadding = pair(options.outputPadding ?? 0);
    this.dilation = pair(options.dilation ?? 1);
    this.groups = options.groups ?? 1;
    const rng = options.rng ?? globalRng();
    const shape = [inChannels, outChannels / this.groups, this.kernelSize[0], this.kernelSize[1]];
    this.weight = new Parameter(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
    // PyTorch computes fan_in from dim 1 of this weight, i.e. (out/groups)·KH·KW.
    kaimingUniform_(this.weight, rng, { a: Math.sqrt(5) });
    this.bias = options.bias === false ? null : new Parameter(new Float32Array(outChannels), [outChannels]);
    if (this.bias) defaultBiasInit_(this.bias, shape[1]! * shape[2]! * shape[3]!, rng);
  }

  forward(x: Tensor): Tensor {
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, outputPadding: this.outputPadding, dilation: this.dilation, groups: this.groups,
    }, 'ConvTranspose2d');
  }

  override multiplyAdds(input: Tensor, _output: Tensor): number {
    return input.size * (this.outChannels / this.groups) * this.kernelSize[0] * this.kernelSize[1];
  }

  override describe(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel=${this.kernelSize.join('x')}, stride=${this.stride.join('x')}`;
  }
}
