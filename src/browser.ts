/**
 * skiplab for browsers and bundlers: everything that runs without Node — tensors, autograd,
 * `nn`, `optim`, the skip blocks and the model zoo, the analyses, in-memory datasets, and the
 * byte-level safetensors and ONNX codecs. Nothing reachable from this file imports a `node:`
 * module, so Vite, esbuild and webpack bundle it as it is; the package's `browser` export
 * condition selects it. Node's entry (`index.ts`) re-exports all of it and adds the file system.
 *
 * Backends here are the WebAssembly SIMD one and the TypeScript reference: call
 * `setBackend(await initWasmBackend(kernelsUrl))` once before training (the kernels are
 * `skiplab/kernels.wasm` in the package), or stay on the TypeScript backend.
 *
 * @module
 */
export { Tensor, arange, empty, full, intTensor, ones, rand, randn, tensor, uniform, zeros, zerosLike, type DType, type NestedArray } from './tensor/tensor.js';
export { Rng, globalRng, manualSeed, type RngState } from './tensor/rng.js';
export { keepTensor, recycleTensors } from './tensor/recycling-scope.js';
export { ShapeError, formatShape, type Shape } from './tensor/shape.js';
export { availableBackends, getBackend, registerBackend, setBackend } from './backend/select.js';
export { initWasmBackend } from './backend/wasm/index.js';
export type { Backend, BackendName, Precision } from './backend/backend.js';
export {
  abs, add, concat, div, exp, flatten, gradcheck, log, matmul, max, maximum, mean, minimum, mul, narrow, neg, noGrad, enableGrad, isGradEnabled,
  permute, reshape, slice, sqrt, square, sub, sum, transpose, mulScalar, addScalar, type GradcheckOptions, type GradcheckResult,
  withPrecision, operandPrecision,
} from './autograd/index.js';
/** Layers and `Module` (PyTorch's `torch.nn`), with `nn.functional` and `nn.init`. */
export * as nn from './nn/index.js';
/** Optimizers (PyTorch's `torch.optim`): SGD, Adam, AdamW. */
export * as optim from './optim/index.js';
/** The skip connections: residual, dense, highway, U-Net and transformer blocks, their shortcuts, and the `SkipBlock` interface analysis sees them through. */
export * as blocks from './blocks/index.js';
/** The model zoo (ResNets, DenseNets, highway nets, U-Net, a transformer) and the plain twin of each. */
export * as models from './models/index.js';
/** The experiments that explain skips, as pure functions of a model and data: gradient flow, paths, lesions, loss landscapes, representations, feature reuse. */
export * as analysis from './analysis/index.js';
export { createModel, listModels, modelCatalog, type CatalogEntry, type ModelInfo, type ModelOptions } from './models/index.js';
export type { SkipEdge, SkipKind } from './blocks/index.js';
export { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsContents } from './io/safetensors-codec.js';
export { buildOnnxModel, type OnnxExportOptions, type OnnxExportSummary } from './io/onnx/export.js';
export { ImageDataset, type ChannelStats, type ImageDatasetInit, type ImageSet, type Split } from './data/dataset.js';
export { DataLoader, type Batch, type DataLoaderOptions } from './data/loader.js';
export { decodeImage, ImageFormatError, type DecodedImage } from './data/image-decode.js';
export { centerCrop, resizeImage, resizeShorterSide, toChannels } from './data/image-resize.js';
export { imageDatasetFromFiles, type ImageFile, type ImageTransformOptions } from './data/image-files.js';
export { composeAugmentations, padCropFlip, randomCrop, randomHorizontalFlip, type BatchAugmentation, type RandomCropOptions } from './data/augment.js';
export { accuracy, argmaxRows, correctCount, topKAccuracy } from './train/metrics.js';
export { evaluateClassifier, type EvaluationResult } from './train/evaluate.js';
export { clipGradNorm } from './train/gradient-clipping.js';
export { constantLr, cosineLr, linearWarmup, multiStepLr, type LrSchedule } from './train/schedules.js';
