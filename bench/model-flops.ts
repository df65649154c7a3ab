/**
 * The useful floating-point work of a model row: every multiply-add of the convolutions and
 * matrix products one step calls (forward; for training also the input and weight gradients),
 * counted from the kernel calls themselves, so a model's FLOPs never drift from its code.
 * ResNet-20 comes out at 40.55 M multiply-adds per image forward (He et al. 2016, §4.2: "0.04
 * billion") and a training step at about three times that. Normalisation, elementwise work and
 * the optimiser are not counted: "% of peak" is the share of the FMA peak spent on the
 * arithmetic that defines the model.
 */
import type { Backend, Conv2dParams, GemmParams, Shape } from '../src/backend/backend.js';
import { getBackend, setBackend } from '../src/backend/select.js';
import { modelRunner, type ModelRow } from './native-suites.js';

const product = (s: Shape) => s.reduce((a, b) => a * b, 1);

/** 2 × multiply-adds of a convolution with output `yShape` and weights `wShape` (C/groups per output). */
const convFlops = (yShape: Shape, wShape: Shape) => 2 * product(yShape) * product(wShape.slice(1));

/** Floating-point operations per image of one step of `row` (batch 2, same architecture). */
export function rowFlopsPerImage(row: ModelRow): number {
  const base = getBackend();
  let flops = 0;
  const counting: Backend = {
    ...base,
    gemm: (p: GemmParams, a, b, c) => { flops += 2 * p.batch * p.m * p.n * p.k; base.gemm(p, a, b, c); },
    conv2dForward: (x, xs, w, ws, bias, p: Conv2dParams, out, os) => { flops += convFlops(os, ws); base.conv2dForward(x, xs, w, ws, bias, p, out, os); },
    conv2dBackwardInput: (dy, dys, w, ws, p, dx, dxs) => { flops += convFlops(dys, ws); base.conv2dBackwardInput(dy, dys, w, ws, p, dx, dxs); },
    conv2dBackwardWeight: (x, xs, dy, dys, p, dw, dws) => { flops += convFlops(dys, dws); base.conv2dBackwardWeight(x, xs, dy, dys, p, dw, dws); },
  };
  const images = 2;
  const small: ModelRow = { ...row, input: [images, ...row.input.slice(1)] };
  setBackend(counting);
  try {
    const step = modelRunner(small);
    flops = 0;
    step();
  } finally {
    setBackend(base);
  }
  return flops / images;
}
