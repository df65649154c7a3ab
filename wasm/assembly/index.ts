// The WebAssembly kernels' entry point: every export is a kernel or a helper that the
// TypeScript side in src/backend/wasm/ calls. Pointers are byte offsets into this module's
// memory, which JavaScript manages (see src/backend/wasm/arena.ts); nothing here allocates.
export { gemm, gemmWorkspaceFloats } from './gemm';
export { affine, axpy, binaryStrided, fillZeros, unary, unaryBackward } from './elementwise';
export { addChannelBias, col2im, im2col } from './conv2d';
export { batchNormBackwardInput, batchNormBackwardSums, batchNormStatistics, channelAffine } from './normalization';
export { avgPool2d, maxPool2dBackward, maxPool2dForward } from './pool';
export { reduceContiguous } from './reduce';
export { softmaxBackward, softmaxCrossEntropyBackward, softmaxCrossEntropyForward, softmaxForward } from './softmax';
export { dropoutForward } from './dropout';
export { layerNormBackward, layerNormForward } from './layer-norm';
export { adamStep, sgdStep } from './optimizers';

/** First free byte after the module's static data: the JavaScript arena starts here. */
export function heapBase(): usize {
  return __heap_base;
}
