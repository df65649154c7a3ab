import type { Backend } from '../backend.js';
import { withBf16Operands } from '../bf16.js';
import { withChannelAffineInputs } from '../channel-affine.js';
import { adaptiveAvgPool2dBackward, adaptiveAvgPool2dForward, avgPool2dBackward, avgPool2dForward, maxPool2dBackward, maxPool2dForward } from './pool.js';
import { affine, axpy, binary, unary, unaryBackward } from './elementwise.js';
import { batchNormBackward, batchNormForward, batchNormStatistics } from './batch-norm.js';
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from './conv2d.js';
import { copyRegion, gatherRows, permute, scatterAddRows } from './layout.js';
import { adamStep, sgdStep } from './optimizers.js';
import { dropoutForward } from './dropout.js';
import { gemm } from './gemm.js';
import { layerNormBackward, layerNormForward } from './layer-norm.js';
import { reduce, reduceMaxBackward } from './reduce.js';
import { softmaxBackward, softmaxCrossEntropyBackward, softmaxCrossEntropyForward, softmaxForward } from './softmax.js';

/**
 * The reference backend: plain TypeScript over typed arrays; it defines what every kernel means
 * (bf16 operands: the FP32 kernels on rounded copies, bf16.ts; `input` maps: the plain kernels on
 * the mapped input, channel-affine.ts).
 */
export const typescriptBackend: Backend = withChannelAffineInputs(withBf16Operands({
  name: 'ts',
  fusesBatchNorm: false,
  describe: () => 'ts (TypeScript reference kernels, 1 thread)',
  alloc: (length) => new Float32Array(length),
  unary,
  unaryBackward,
  binary,
  affine,
  axpy,
  reduce,
  reduceMaxBackward,
  permute,
  copyRegion,
  gatherRows,
  scatterAddRows,
  gemm,
  conv2dForward,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  maxPool2dForward,
  maxPool2dBackward,
  avgPool2dForward,
  avgPool2dBackward,
  adaptiveAvgPool2dForward,
  adaptiveAvgPool2dBackward,
  batchNormForward,
  batchNormStatistics,
  batchNormBackward,
  layerNormForward,
  layerNormBackward,
  softmaxForward,
  softmaxBackward,
  softmaxCrossEntropyForward,
  softmaxCrossEntropyBackward,
  dropoutForward,
  sgdStep,
  adamStep,
}));
