/**
 * The native backend: a thin typed wrapper over the C++ addon in `native/` (AVX-512 / AVX2 /
 * portable code chosen at run time, its own thread pool). Semantics are those of the TypeScript
 * reference (`../ts/`), which the tests compare every kernel against. The wrapper checks buffer
 * lengths before handing pointers to C++, so a wrong size is an Error naming the kernel, never
 * memory corruption.
 */
import type { Backend, BinaryOp, ChannelAffine, KernelName, ReduceOp, Shape, UnaryOp } from '../backend.js';
import { loadAddon, type NativeAddon, type NativeIsa } from './addon.js';

export type { NativeIsa } from './addon.js';

// Index tables matching the C++ enums in native/src/kernels.h.
const UNARY: Record<UnaryOp, number> = {
  neg: 0, exp: 1, log: 2, sqrt: 3, abs: 4, square: 5, reciprocal: 6, relu: 7, gelu: 8, sigmoid: 9, tanh: 10,
};
const BINARY: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5 };
const REDUCE: Record<ReduceOp, number> = { sum: 0, mean: 1, max: 2 };

const product = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

function need(kernel: string, name: string, array: ArrayLike<number>, length: number): void {
  if (array.length < length) {
    throw new Error(`native ${kernel}: ${name} has ${array.length} elements, needs at least ${length}`);
  }
}

function convDims(xShape: Shape, wShape: Shape, outShape: Shape, p: { stride: readonly number[]; padding: readonly number[]; dilation: readonly number[]; groups: number }): number[] {
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [o, , kh, kw] = wShape as [number, number, number, number];
  return [n, c, h, w, o, outShape[2]!, outShape[3]!, kh, kw, p.stride[0]!, p.stride[1]!, p.padding[0]!, p.padding[1]!, p.dilation[0]!, p.dilation[1]!, p.groups];
}

function poolDims(xShape: Shape, outShape: Shape, kernel: readonly number[], stride: readonly number[], padding: readonly number[], dilation: readonly number[]): number[] {
  const [n, c, h, w] = xShape as [number, number, number, number];
  return [n, c, h, w, outShape[2]!, outShape[3]!, kernel[0]!, kernel[1]!, stride[0]!, stride[1]!, padding[0]!, padding[1]!, dilation[0]!, dilation[1]!];
}

type Kernels = Pick<Backend, KernelName>;

/** A ChannelAffine checked for `channels` entries (the addon takes it as trailing mean, scale, shift, relu arguments). */
function channelMap(kernel: string, map: ChannelAffine | null | undefined, channels: number): ChannelAffine | null {
  if (!map) return null;
  need(kernel, 'input map mean', map.mean, channels);
  need(kernel, 'input map scale', map.scale, channels);
  need(kernel, 'input map shift', map.shift, channels);
  return map;
}

/** Every kernel of the interface, backed by the addon (a mapped type: a missing one does not compile). */
function nativeKernels(addon: NativeAddon): Kernels {
  return {
    unary: (op, x, out) => addon.unary(UNARY[op], x, out),
    unaryBackward: (op, x, y, dy, dx) => addon.unaryBackward(UNARY[op], x, y, dy, dx),
    binary: (op, a, aShape, b, bShape, out, outShape) => addon.binary(BINARY[op], a, aShape, b, bShape, out, outShape),
    affine: (x, alpha, beta, out) => addon.affine(x, alpha, beta, out),
    axpy: (alpha, x, y) => addon.axpy(alpha, x, y),
    reduce: (op, x, xShape, axes, out) => addon.reduce(REDUCE[op], x, xShape, axes, out),
    reduceMaxBackward: (x, xShape, axes, dy, dx) => addon.reduceMaxBackward(x, xShape, axes, dy, dx),
    permute: (x, xShape, perm, out) => {
      need('permute', 'out', out, product(xShape));
      addon.permute(x, xShape, perm, out);
    },
    copyRegion: (src, srcShape, srcStart, dst, dstShape, dstStart, region, accumulate) =>
      addon.copyRegion(src, srcShape, srcStart, dst, dstShape, dstStart, region, accumulate),
    gatherRows: (table, rowLength, indices, out) => {
      need('gatherRows', 'out', out, indices.length * rowLength);
      addon.gatherRows(table, rowLength, indices, out);
    },
    scatterAddRows: (dy, rowLength, indices, dTable) => addon.scatterAddRows(dy, rowLength, indices, dTable),
    gemm: (p, a, b, c) => {
      const last = Math.max(0, p.batch - 1);
      need('gemm', 'a', a, last * p.strideA + p.m * p.k);
      need('gemm', 'b', b, last * p.strideB + p.k * p.n);
      need('gemm', 'c', c, last * p.strideC + p.m * p.n);
      addon.gemm(p.batch, p.m, p.n, p.k, p.transA, p.transB, p.strideA, p.strideB, p.strideC, p.accumulate, a, b, c, p.precision === 'bf16');
    },
    conv2dForward: (x, xShape, w, wShape, bias, p, out, outShape, input) => {
      need('conv2dForward', 'x', x, product(xShape));
      need('conv2dForward', 'w', w, product(wShape));
      need('conv2dForward', 'out', out, product(outShape));
      const map = channelMap('conv2dForward', input, xShape[1]!);
      addon.conv2dForward(convDims(xShape, wShape, outShape, p), x, w, bias, out, p.precision === 'bf16', map?.mean, map?.scale, map?.shift, map?.relu);
    },
    conv2dBackwardInput: (dy, dyShape, w, wShape, p, dx, dxShape) => {
      need('conv2dBackwardInput', 'dy', dy, product(dyShape));
      need('conv2dBackwardInput', 'dx', dx, product(dxShape));
      addon.conv2dBackwardInput(convDims(dxShape, wShape, dyShape, p), dy, w, dx, p.precision === 'bf16');
    },
    conv2dBackwardWeight: (x, xShape, dy, dyShape, p, dw, dwShape, input) => {
      need('conv2dBackwardWeight', 'x', x, product(xShape));
      need('conv2dBackwardWeight', 'dy', dy, product(dyShape));
      need('conv2dBackwardWeight', 'dw', dw, product(dwShape));
      const map = channelMap('conv2dBackwardWeight', input, xShape[1]!);
      addon.conv2dBackwardWeight(convDims(xShape, dwShape, dyShape, p), x, dy, dw, p.precision === 'bf16', map?.mean, map?.scale, map?.shift, map?.relu);
    },
    maxPool2dForward: (x, xShape, p, out, outShape, argmax) => {
      need('maxPool2dForward', 'out', out, product(outShape));
      need('maxPool2dForward', 'argmax', argmax, product(outShape));
      addon.maxPool2dForward(poolDims(xShape, outShape, p.kernelSize, p.stride, p.padding, p.dilation), x, out, argmax);
    },
    // Serial in C++: without the shape, windows of one plane could be split across threads.
    maxPool2dBackward: (dy, argmax, dx) => addon.maxPool2dBackward(dy, argmax, dx, 0),
    avgPool2dForward: (x, xShape, p, out, outShape) => {
      need('avgPool2dForward', 'out', out, product(outShape));
      addon.avgPool2d(poolDims(xShape, outShape, p.kernelSize, p.stride, p.padding, [1, 1]), p.countIncludePad, false, x, out);
    },
    avgPool2dBackward: (dy, dyShape, p, dx, dxShape) => {
      need('avgPool2dBackward', 'dx', dx, product(dxShape));
      addon.avgPool2d(poolDims(dxShape, dyShape, p.kernelSize, p.stride, p.padding, [1, 1]), p.countIncludePad, true, dy, dx);
    },
    adaptiveAvgPool2dForward: (x, xShape, out, outShape) => {
      need('adaptiveAvgPool2dForward', 'out', out, product(outShape));
      addon.adaptiveAvgPool2d(xShape[0]! * xShape[1]!, xShape[2]!, xShape[3]!, outShape[2]!, outShape[3]!, false, x, out);
    },
    adaptiveAvgPool2dBackward: (dy, dyShape, dx, dxShape) => {
      need('adaptiveAvgPool2dBackward', 'dx', dx, product(dxShape));
      addon.adaptiveAvgPool2d(dxShape[0]! * dxShape[1]!, dxShape[2]!, dxShape[3]!, dyShape[2]!, dyShape[3]!, true, dy, dx);
    },
    batchNormForward: (x, xShape, gamma, beta, runningMean, runningVar, p, out, saveMean, saveInvStd, residual) => {
      const n = xShape[0]!, c = xShape[1]!, s = product(xShape.slice(2));
      if ((p.training || !runningMean || !runningVar) && n * s <= 1) {
        throw new Error(`native batchNormForward: batch statistics need more than 1 value per channel (got shape [${xShape.join(', ')}])`);
      }
      need('batchNormForward', 'out', out, n * c * s);
      need('batchNormForward', 'saveMean', saveMean, c);
      need('batchNormForward', 'saveInvStd', saveInvStd, c);
      if (residual) need('batchNormForward', 'residual', residual, n * c * s);
      addon.batchNormForward(x, n, c, s, gamma, beta, runningMean, runningVar, p.training, p.momentum, p.eps, out, saveMean, saveInvStd, p.relu ?? false, residual ?? null);
    },
    batchNormStatistics: (x, xShape, gamma, beta, runningMean, runningVar, p, saveMean, saveInvStd, scale, shift) => {
      const n = xShape[0]!, c = xShape[1]!, s = product(xShape.slice(2));
      if ((p.training || !runningMean || !runningVar) && n * s <= 1) {
        throw new Error(`native batchNormStatistics: batch statistics need more than 1 value per channel (got shape [${xShape.join(', ')}])`);
      }
      for (const [name, a] of [['saveMean', saveMean], ['saveInvStd', saveInvStd], ['scale', scale], ['shift', shift]] as const) need('batchNormStatistics', name, a, c);
      addon.batchNormStatistics(x, n, c, s, gamma, beta, runningMean, runningVar, p.training, p.momentum, p.eps, saveMean, saveInvStd, scale, shift);
    },
    batchNormBackward: (x, xShape, dy, gamma, saveMean, saveInvStd, training, dx, dgamma, dbeta, reluOutput, reluOf, maskedGradient) => {
      const n = xShape[0]!, c = xShape[1]!, s = product(xShape.slice(2));
      need('batchNormBackward', 'dx', dx, n * c * s);
      if (reluOutput) need('batchNormBackward', 'reluOutput', reluOutput, n * c * s);
      const map = channelMap('batchNormBackward', reluOf, c);
      if (maskedGradient) {
        need('batchNormBackward', 'maskedGradient', maskedGradient, n * c * s);
        if (!reluOutput && !map) throw new Error('native batchNormBackward: maskedGradient needs a mask (reluOutput or reluOf)');
      }
      addon.batchNormBackward(x, n, c, s, dy, gamma, saveMean, saveInvStd, training, dx, dgamma, dbeta, reluOutput ?? null, map?.mean, map?.scale, map?.shift,
        maskedGradient ?? null);
    },
    layerNormForward: (x, rows, cols, gamma, beta, eps, out, saveMean, saveInvStd) => {
      need('layerNormForward', 'out', out, rows * cols);
      need('layerNormForward', 'saveMean', saveMean, rows);
      addon.layerNormForward(x, rows, cols, gamma, beta, eps, out, saveMean, saveInvStd);
    },
    layerNormBackward: (x, rows, cols, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta) => {
      need('layerNormBackward', 'dx', dx, rows * cols);
      addon.layerNormBackward(x, rows, cols, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
    },
    softmaxForward: (x, outer, axisSize, inner, log, out) => addon.softmax(false, outer, axisSize, inner, log, x, null, out),
    softmaxBackward: (y, dy, outer, axisSize, inner, log, dx) => addon.softmax(true, outer, axisSize, inner, log, y, dy, dx),
    softmaxCrossEntropyForward: (logits, rows, classes, labels, labelSmoothing, losses, probs) => {
      need('softmaxCrossEntropyForward', 'labels', labels, rows);
      need('softmaxCrossEntropyForward', 'probs', probs, rows * classes);
      addon.softmaxCrossEntropy(false, rows, classes, labels, labelSmoothing, logits, losses, probs);
    },
    softmaxCrossEntropyBackward: (probs, rows, classes, labels, labelSmoothing, dLosses, dLogits) => {
      need('softmaxCrossEntropyBackward', 'dLogits', dLogits, rows * classes);
      addon.softmaxCrossEntropy(true, rows, classes, labels, labelSmoothing, probs, dLosses, dLogits);
    },
    dropoutForward: (x, p, seed, out, mask) => addon.dropoutForward(x, p, seed, out, mask),
    sgdStep: (param, grad, buffer, p) =>
      addon.sgdStep(param, grad, buffer, p.lr, p.momentum, p.dampening, p.weightDecay, p.nesterov, p.firstStep),
    adamStep: (param, grad, m, v, p) =>
      addon.adamStep(param, grad, m, v, p.lr, p.beta1, p.beta2, p.eps, p.weightDecay, p.decoupledWeightDecay, p.step),
  };
}

let loaded: { backend: Backend | null; addon: NativeAddon | null; reason: string | null } | null = null;

function load(): { backend: Backend | null; addon: NativeAddon | null; reason: string | null } {
  if (loaded) return loaded;
  const result = loadAddon();
  if (!result.addon) {
    // In the browser the native backend never exists, which is not worth a notice.
    loaded = { backend: null, addon: null, reason: result.reason === 'not running in Node 20.16+' ? null : result.reason };
    return loaded;
  }
  const addon = result.addon;
  const backend: Backend = {
    name: 'native',
    fusesBatchNorm: true,
    describe: () => {
      const info = addon.info();
      return `native (C++ ${info.isa}, ${info.threads} thread${info.threads === 1 ? '' : 's'})`;
    },
    alloc: (length) => new Float32Array(length),
    ...nativeKernels(addon),
  };
  loaded = { backend, addon, reason: null };
  return loaded;
}

/** Why the native backend could not load in Node (for select.ts's one-line notice), else null. */
export function nativeUnavailableReason(): string | null {
  return load().reason;
}

/** The native backend, or null when the addon is not built here (select.ts then falls back). */
export function loadNativeBackend(): Backend | null {
  return load().backend;
}

/** Instruction set and thread count in use, for `skiplab info`; null without the addon. */
export function nativeInfo(): { isa: NativeIsa; threads: number; supported: NativeIsa[] } | null {
  const addon = load().addon;
  return addon ? addon.info() : null;
}

/**
 * Change the thread count or force an instruction set at run time (tests and benchmarks; users
 * set SKIPLAB_THREADS / SKIPLAB_NATIVE_ISA instead). Returns the resulting settings.
 */
export function configureNative(options: { threads?: number; isa?: NativeIsa }): { isa: NativeIsa; threads: number } | null {
  const addon = load().addon;
  if (!addon) return null;
  if (options.threads !== undefined) addon.setThreads(options.threads);
  if (options.isa !== undefined && !addon.setIsa(options.isa)) {
    throw new Error(`configureNative: this CPU cannot run the '${options.isa}' code path`);
  }
  return addon.info();
}

/**
 * The FP32 flop rate of a register-only FMA loop on `threads` threads (the machine's peak);
 * with `cpuClock`, flops per CPU-second per thread (robust on a shared machine). With `bf16`, the
 * rate of the bf16 dot-product loop (VDPBF16PS: a multiply-add per bf16 pair, 2 flops each) that
 * bf16 operands run on — null when the active instruction set has none.
 */
export function measureFmaPeak(threads: number, iterations = 20_000_000, cpuClock = false, bf16 = false): number | null {
  const addon = load().addon;
  if (!addon) return null;
  const flops = addon.fmaPeak(iterations, threads, cpuClock, bf16);
  return flops > 0 ? flops : null;
}
