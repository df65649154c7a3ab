import { describe, expect, it } from 'vitest';
import type { AvgPool2dParams, Backend, BatchNormParams, Conv2dParams, MaxPool2dParams, Pair, Shape } from '../../src/backend/backend.js';
import { backendsUnderTest, maxRelativeError } from '../helpers/backends.js';
import { fixtureArray, fixtureInt32, fixtureTensor, hasTensor, loadKernelFixtures, sizeOf, type FixtureCase } from '../helpers/fixtures.js';

/**
 * Every backend's kernels against PyTorch on fixed fixtures (issue 4). The fixtures are made once
 * by `/usr/bin/python3 scripts/fixtures/make_kernel_fixtures.py` (inputs in float32, reference
 * computed in float64); `y` is the forward output, `dy` a fixed random upstream gradient and
 * `dx`, `dw`, … the gradients of sum(dy · y). The kernels are called directly, the way autograd
 * will call them, so a wrong mapping here would be a wrong mapping there too.
 */

const TOLERANCE = 1e-4;
/** Outputs start filled with this, so a kernel that accumulates instead of overwriting fails. */
const SENTINEL = 1234.5;

type Ctx = { backend: Backend; c: FixtureCase<unknown> };

function input({ backend, c }: Ctx, key: string): Float32Array {
  return fixtureArray(backend, c, key);
}

function shapeOf({ c }: Ctx, key: string): number[] {
  return fixtureTensor(c, key).shape;
}

/** A fresh output array shaped like fixture tensor `key`, pre-filled with the sentinel. */
function outputLike(ctx: Ctx, key: string): Float32Array {
  return ctx.backend.alloc(sizeOf(shapeOf(ctx, key))).fill(SENTINEL);
}

function expectMatches(ctx: Ctx, key: string, actual: ArrayLike<number>): void {
  const expected = fixtureTensor(ctx.c, key).data;
  const error = maxRelativeError(actual, expected);
  expect(error, `${ctx.backend.name}: case '${ctx.c.name}', ${key}: max relative error ${error.toExponential(3)}`)
    .toBeLessThanOrEqual(TOLERANCE);
}

/** Bias gradient of an NCHW output: the sum of dy over batch and spatial axes. */
function biasGradient(ctx: Ctx, dy: Float32Array, dyShape: Shape): Float32Array {
  const db = ctx.backend.alloc(dyShape[1]!).fill(SENTINEL);
  ctx.backend.reduce('sum', dy, dyShape, [0, 2, 3], db);
  return db;
}

/** Runs `body` as one test per fixture case of `family`, on `backend`. */
function eachCase<P>(backend: Backend, family: string, body: (ctx: Ctx, params: P) => void): void {
  describe(family, () => {
    for (const c of loadKernelFixtures<P>(family)) {
      it(c.name, () => body({ backend, c }, c.params));
    }
  });
}

// ---- convolution ------------------------------------------------------------------------------

interface ConvFixtureParams { stride: Pair; padding: Pair; dilation: Pair; groups: number }

function conv2dCases(backend: Backend): void {
  eachCase<ConvFixtureParams>(backend, 'conv2d', (ctx, p) => {
    const params: Conv2dParams = { stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups };
    const [x, xShape, w, wShape] = [input(ctx, 'x'), shapeOf(ctx, 'x'), input(ctx, 'w'), shapeOf(ctx, 'w')];
    const [dy, yShape] = [input(ctx, 'dy'), shapeOf(ctx, 'y')];
    const withBias = hasTensor(ctx.c, 'b');
    const y = outputLike(ctx, 'y');
    backend.conv2dForward(x, xShape, w, wShape, withBias ? input(ctx, 'b') : null, params, y, yShape);
    expectMatches(ctx, 'y', y);
    const dx = outputLike(ctx, 'dx');
    backend.conv2dBackwardInput(dy, yShape, w, wShape, params, dx, xShape);
    expectMatches(ctx, 'dx', dx);
    const dw = outputLike(ctx, 'dw');
    backend.conv2dBackwardWeight(x, xShape, dy, yShape, params, dw, wShape);
    expectMatches(ctx, 'dw', dw);
    if (withBias) expectMatches(ctx, 'db', biasGradient(ctx, dy, yShape));
  });
}

/**
 * Transposed convolution y = convT(x, w) is the adjoint of the convolution with the same weight
 * and parameters that maps the (larger) y-shaped tensor to the x-shaped one; PyTorch's weight
 * (C_in, C_out/groups, KH, KW) is exactly that convolution's OIHW weight (O = C_in of the
 * transposed conv). output_padding only fixes y's size, which the fixture's y shape carries.
 *   forward       y  = conv2dBackwardInput(dy := x, w), dxShape := y's shape, plus bias
 *   input grad    dx = conv2dForward(x := dy, w)                     (adjoint of the adjoint)
 *   weight grad   dw = conv2dBackwardWeight(x := dy, dy := x)        (roles of x and dy swap:
 *                 ⟨dy, convT_w(x)⟩ = ⟨conv_w(dy), x⟩, whose w-gradient has dy as the conv input)
 *   bias grad     db = Σ dy over batch and space
 */
function convTranspose2dCases(backend: Backend): void {
  eachCase<ConvFixtureParams>(backend, 'conv-transpose2d', (ctx, p) => {
    const params: Conv2dParams = { stride: p.stride, padding: p.padding, dilation: p.dilation, groups: p.groups };
    const [x, xShape, w, wShape] = [input(ctx, 'x'), shapeOf(ctx, 'x'), input(ctx, 'w'), shapeOf(ctx, 'w')];
    const [dy, yShape] = [input(ctx, 'dy'), shapeOf(ctx, 'y')];
    const noBias = outputLike(ctx, 'y');
    backend.conv2dBackwardInput(x, xShape, w, wShape, params, noBias, yShape);
    let y = noBias;
    if (hasTensor(ctx.c, 'b')) {
      y = outputLike(ctx, 'y');
      backend.binary('add', noBias, yShape, input(ctx, 'b'), [yShape[1]!, 1, 1], y, yShape);
    }
    expectMatches(ctx, 'y', y);
    const dx = outputLike(ctx, 'dx');
    backend.conv2dForward(dy, yShape, w, wShape, null, params, dx, xShape);
    expectMatches(ctx, 'dx', dx);
    const dw = outputLike(ctx, 'dw');
    backend.conv2dBackwardWeight(dy, yShape, x, xShape, params, dw, wShape);
    expectMatches(ctx, 'dw', dw);
    if (hasTensor(ctx.c, 'b')) expectMatches(ctx, 'db', biasGradient(ctx, dy, yShape));
  });
}

// ---- normalisation ----------------------------------------------------------------------------

function batchNormCases(backend: Backend): void {
  eachCase<BatchNormParams>(backend, 'batch-norm', (ctx, p) => {
    const params: BatchNormParams = { training: p.training, momentum: p.momentum, eps: p.eps };
    const fullShape = shapeOf(ctx, 'x');
    // The kernel sees (N, C, S), S the product of the spatial sizes (1 for BatchNorm1d).
    const xShape = [fullShape[0]!, fullShape[1]!, sizeOf(fullShape.slice(2))];
    const channels = xShape[1]!;
    const affine = hasTensor(ctx.c, 'gamma');
    const gamma = affine ? input(ctx, 'gamma') : null;
    const beta = affine ? input(ctx, 'beta') : null;
    const [x, dy] = [input(ctx, 'x'), input(ctx, 'dy')];
    const runningMean = input(ctx, 'runningMean');
    const runningVar = input(ctx, 'runningVar');
    const y = outputLike(ctx, 'y');
    const saveMean = backend.alloc(channels).fill(SENTINEL);
    const saveInvStd = backend.alloc(channels).fill(SENTINEL);
    backend.batchNormForward(x, xShape, gamma, beta, runningMean, runningVar, params, y, saveMean, saveInvStd);
    expectMatches(ctx, 'y', y);
    expectMatches(ctx, 'saveMean', saveMean);
    expectMatches(ctx, 'saveInvStd', saveInvStd);
    if (p.training) {
      expectMatches(ctx, 'runningMeanAfter', runningMean);
      expectMatches(ctx, 'runningVarAfter', runningVar);
    } else {
      // Eval mode must leave the running statistics alone.
      expectMatches(ctx, 'runningMean', runningMean);
      expectMatches(ctx, 'runningVar', runningVar);
    }
    const dx = outputLike(ctx, 'dx');
    const dgamma = affine ? backend.alloc(channels).fill(SENTINEL) : null;
    const dbeta = affine ? backend.alloc(channels).fill(SENTINEL) : null;
    backend.batchNormBackward(x, xShape, dy, gamma, saveMean, saveInvStd, p.training, dx, dgamma, dbeta);
    expectMatches(ctx, 'dx', dx);
    if (dgamma && dbeta) {
      expectMatches(ctx, 'dgamma', dgamma);
      expectMatches(ctx, 'dbeta', dbeta);
    }
  });
}

function layerNormCases(backend: Backend): void {
  eachCase<{ normalizedDims: number; eps: number }>(backend, 'layer-norm', (ctx, p) => {
    const xShape = shapeOf(ctx, 'x');
    const cols = sizeOf(xShape.slice(xShape.length - p.normalizedDims));
    const rows = sizeOf(xShape) / cols;
    const affine = hasTensor(ctx.c, 'gamma');
    const gamma = affine ? input(ctx, 'gamma') : null;
    const [x, dy] = [input(ctx, 'x'), input(ctx, 'dy')];
    const y = outputLike(ctx, 'y');
    const saveMean = backend.alloc(rows).fill(SENTINEL);
    const saveInvStd = backend.alloc(rows).fill(SENTINEL);
    backend.layerNormForward(x, rows, cols, gamma, affine ? input(ctx, 'beta') : null, p.eps, y, saveMean, saveInvStd);
    expectMatches(ctx, 'y', y);
    expectMatches(ctx, 'saveMean', saveMean);
    expectMatches(ctx, 'saveInvStd', saveInvStd);
    const dx = outputLike(ctx, 'dx');
    const dgamma = affine ? backend.alloc(cols).fill(SENTINEL) : null;
    const dbeta = affine ? backend.alloc(cols).fill(SENTINEL) : null;
    backend.layerNormBackward(x, rows, cols, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
    expectMatches(ctx, 'dx', dx);
    if (dgamma && dbeta) {
      expectMatches(ctx, 'dgamma', dgamma);
      expectMatches(ctx, 'dbeta', dbeta);
    }
  });
}

// ---- pooling ----------------------------------------------------------------------------------

function poolCases(backend: Backend): void {
  eachCase<MaxPool2dParams>(backend, 'max-pool2d', (ctx, p) => {
    const params: MaxPool2dParams = { kernelSize: p.kernelSize, stride: p.stride, padding: p.padding, dilation: p.dilation };
    const yShape = shapeOf(ctx, 'y');
    const y = outputLike(ctx, 'y');
    const argmax = new Int32Array(y.length).fill(-1);
    backend.maxPool2dForward(input(ctx, 'x'), shapeOf(ctx, 'x'), params, y, yShape, argmax);
    expectMatches(ctx, 'y', y);
    // The fixture's argmax is PyTorch's per-plane index made flat into x; random inputs have no ties.
    expect(Array.from(argmax), `${backend.name}: case '${ctx.c.name}', argmax`).toEqual(fixtureTensor(ctx.c, 'argmax').data);
    const dx = outputLike(ctx, 'dx');
    backend.maxPool2dBackward(input(ctx, 'dy'), argmax, dx);
    expectMatches(ctx, 'dx', dx);
  });
  eachCase<AvgPool2dParams>(backend, 'avg-pool2d', (ctx, p) => {
    const params: AvgPool2dParams = { kernelSize: p.kernelSize, stride: p.stride, padding: p.padding, countIncludePad: p.countIncludePad };
    const [xShape, yShape] = [shapeOf(ctx, 'x'), shapeOf(ctx, 'y')];
    const y = outputLike(ctx, 'y');
    backend.avgPool2dForward(input(ctx, 'x'), xShape, params, y, yShape);
    expectMatches(ctx, 'y', y);
    const dx = outputLike(ctx, 'dx');
    backend.avgPool2dBackward(input(ctx, 'dy'), yShape, params, dx, xShape);
    expectMatches(ctx, 'dx', dx);
  });
  eachCase<{ outputSize: Pair }>(backend, 'adaptive-avg-pool2d', (ctx) => {
    const [xShape, yShape] = [shapeOf(ctx, 'x'), shapeOf(ctx, 'y')];
    const y = outputLike(ctx, 'y');
    backend.adaptiveAvgPool2dForward(input(ctx, 'x'), xShape, y, yShape);
    expectMatches(ctx, 'y', y);
    const dx = outputLike(ctx, 'dx');
    backend.adaptiveAvgPool2dBackward(input(ctx, 'dy'), yShape, dx, xShape);
    expectMatches(ctx, 'dx', dx);
  });
}

// ---- softmax and loss -------------------------------------------------------------------------

function softmaxAndLossCases(backend: Backend): void {
  eachCase<{ dim: number; log: boolean }>(backend, 'softmax', (ctx, p) => {
    const xShape = shapeOf(ctx, 'x');
    // Softmax over dim 1 of (N, C, ...): outer N, axis C, inner the rest.
    const [outer, axis, inner] = [xShape[0]!, xShape[1]!, sizeOf(xShape.slice(2))];
    const y = outputLike(ctx, 'y');
    backend.softmaxForward(input(ctx, 'x'), outer, axis, inner, p.log, y);
    expectMatches(ctx, 'y', y);
    const dx = outputLike(ctx, 'dx');
    backend.softmaxBackward(y, input(ctx, 'dy'), outer, axis, inner, p.log, dx);
    expectMatches(ctx, 'dx', dx);
  });
  eachCase<{ labelSmoothing: number; ignoreIndex: number }>(backend, 'cross-entropy', (ctx, p) => {
    const [rows, classes] = shapeOf(ctx, 'logits') as [number, number];
    const labels = fixtureInt32(ctx.c, 'labels');
    const losses = outputLike(ctx, 'losses');
    const probs = backend.alloc(rows * classes);
    backend.softmaxCrossEntropyForward(input(ctx, 'logits'), rows, classes, labels, p.labelSmoothing, losses, probs);
    expectMatches(ctx, 'losses', losses);
    // PyTorch's mean reduction divides by the number of rows that are not ignore_index.
    const count = labels.filter((label) => label !== p.ignoreIndex).length;
    const mean = losses.reduce((sum, loss) => sum + loss, 0) / count;
    expectMatches(ctx, 'loss', [mean]);
    const dLosses = backend.alloc(rows).fill(1 / count);
    const dLogits = outputLike(ctx, 'dlogits');
    backend.softmaxCrossEntropyBackward(probs, rows, classes, labels, p.labelSmoothing, dLosses, dLogits);
    expectMatches(ctx, 'dlogits', dLogits);
  });
}

// ---- elementwise and dense --------------------------------------------------------------------

function denseCases(backend: Backend): void {
  eachCase(backend, 'gelu', (ctx) => {
    const x = input(ctx, 'x');
    const y = outputLike(ctx, 'y');
    backend.unary('gelu', x, y);
    expectMatches(ctx, 'y', y);
    const dx = outputLike(ctx, 'dx');
    backend.unaryBackward('gelu', x, y, input(ctx, 'dy'), dx);
    expectMatches(ctx, 'dx', dx);
  });
  // Linear: y (N, out) = x (N, in) · wᵀ + b; dx = dy · w; dw = dyᵀ · x; db = Σ_N dy.
  eachCase(backend, 'linear', (ctx) => {
    const [n, inF] = shapeOf(ctx, 'x') as [number, number];
    const outF = shapeOf(ctx, 'w')[0]!;
    const [x, w, dy] = [input(ctx, 'x'), input(ctx, 'w'), input(ctx, 'dy')];
    const gemm = { batch: 1, strideA: 0, strideB: 0, strideC: 0, accumulate: false };
    const noBias = outputLike(ctx, 'y');
    backend.gemm({ ...gemm, m: n, n: outF, k: inF, transA: false, transB: true }, x, w, noBias);
    let y = noBias;
    if (hasTensor(ctx.c, 'b')) {
      y = outputLike(ctx, 'y');
      backend.binary('add', noBias, [n, outF], input(ctx, 'b'), [outF], y, [n, outF]);
    }
    expectMatches(ctx, 'y', y);
    const dx = outputLike(ctx, 'dx');
    backend.gemm({ ...gemm, m: n, n: inF, k: outF, transA: false, transB: false }, dy, w, dx);
    expectMatches(ctx, 'dx', dx);
    const dw = outputLike(ctx, 'dw');
    backend.gemm({ ...gemm, m: outF, n: inF, k: n, transA: true, transB: false }, dy, x, dw);
    expectMatches(ctx, 'dw', dw);
    if (hasTensor(ctx.c, 'b')) {
      const db = outputLike(ctx, 'db');
      backend.reduce('sum', dy, [n, outF], [0], db);
      expectMatches(ctx, 'db', db);
    }
  });
  // Matmul (B, M, K) · (B or none, K, N); a 2-D right operand is broadcast with stride 0, so its
  // gradient sums over the batch: dB = Aᵀ · dC with A viewed as (B·M, K).
  eachCase(backend, 'matmul', (ctx) => {
    const [aShape, bShape] = [shapeOf(ctx, 'a'), shapeOf(ctx, 'b')];
    const [m, k] = aShape.slice(-2) as [number, number];
    const n = bShape[bShape.length - 1]!;
    const batch = sizeOf(aShape.slice(0, -2));
    const bBatched = bShape.length > 2;
    const [a, b, dc] = [input(ctx, 'a'), input(ctx, 'b'), input(ctx, 'dy')];
    const strides = { batch, strideA: m * k, strideB: bBatched ? k * n : 0, strideC: m * n, accumulate: false };
    const c = outputLike(ctx, 'y');
    backend.gemm({ ...strides, m, n, k, transA: false, transB: false }, a, b, c);
    expectMatches(ctx, 'y', c);
    const da = outputLike(ctx, 'da');
    backend.gemm({ ...strides, strideA: m * n, strideB: strides.strideB, strideC: m * k, m, n: k, k: n, transA: false, transB: true }, dc, b, da);
    expectMatches(ctx, 'da', da);
    const db = outputLike(ctx, 'db');
    if (bBatched) {
      backend.gemm({ ...strides, strideA: m * k, strideB: m * n, strideC: k * n, m: k, n, k: m, transA: true, transB: false }, a, dc, db);
    } else {
      backend.gemm({ batch: 1, strideA: 0, strideB: 0, strideC: 0, accumulate: false, m: k, n, k: batch * m, transA: true, transB: false }, a, dc, db);
    }
    expectMatches(ctx, 'db', db);
  });
}

for (const backend of backendsUnderTest()) {
  describe(`PyTorch fixtures on the ${backend.name} backend`, () => {
    softmaxAndLossCases(backend);
    denseCases(backend);
    conv2dCases(backend);
    convTranspose2dCases(backend);
    poolCases(backend);
    batchNormCases(backend);
    layerNormCases(backend);
  });
}
