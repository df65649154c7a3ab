import type { Conv2dParams, Pair } from '../../backend/backend.js';
import { precisionField } from '../precision.js';

/** PyTorch accepts an int or a pair for each of these. */
export type IntOrPair = number | readonly [number, number];

export function pair(v: IntOrPair): Pair {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

export interface Conv2dOptions {
  stride?: IntOrPair;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  groups?: number;
}

/** The kernel parameters, with the operand precision of the current scope (precision.ts). */
export function convParams(options: Conv2dOptions): Conv2dParams {
  return {
    stride: pair(options.stride ?? 1),
    padding: pair(options.padding ?? 0),
    dilation: pair(options.dilation ?? 1),
    groups: options.groups ?? 1,
    ...precisionField(),
  };
}

/** floor((size + 2·pad − dilation·(kernel − 1) − 1) / stride) + 1 (PyTorch's Conv2d/MaxPool2d). */
export function convOutputSize(size: number, kernel: number, stride: number, padding: number, dilation: number): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}
