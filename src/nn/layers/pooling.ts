import { pair, type IntOrPair } from '../../autograd/functions/conv-params.js';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../../autograd/functions/pooling.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

export class MaxPool2d extends Module {
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly kernelSize: readonly [number, number];

  constructor(kernelSize: IntOrPair, options: { stride?: IntOrPair; padding?: IntOrPair; dilation?: IntOrPair } = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? kernelSize);
    this.padding = pair(options.padding ?? 0);
    this.dilation = pair(options.dilation ?? 1);
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation }, 'MaxPool2d');
  }

  override describe(): string {
    return `kernel=${this.kernelSize.join('x')}, stride=${this.stride.join('x')}, padding=${this.padding.join('x')}`;
  }
}

export class AvgPool2d extends Module {
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly countIncludePad: boolean;

  constructor(kernelSize: IntOrPair, options: { stride?: IntOrPair; padding?: IntOrPair; countIncludePad?: boolean } = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(options.stride ?? kernelSize);
    this.padding = pair(options.padding ?? 0);
    this.countIncludePad = options.countIncludePad ?? true;
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, countIncludePad: this.countIncludePad }, 'AvgPool2d');
  }

  override describe(): string {
    return `kernel=${this.kernelSize.join('x')}, stride=${this.stride.join('x')}`;
  }
}

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: readonly [number, number];

  constructor(outputSize: IntOrPair) {
    super();
    this.outputSize = pair(outputSize);
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize, 'AdaptiveAvgPool2d');
  }

  override describe(): string {
    return `outputSize=${this.outputSize.join('x')}`;
  }
}
