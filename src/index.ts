/**
 * skiplab — the public API. PyTorch-shaped: `Tensor`, creation functions, autograd, `nn`,
 * `optim`, backend selection.
 */
export { Tensor, arange, empty, full, intTensor, ones, rand, randn, tensor, uniform, zeros, zerosLike, type DType, type NestedArray } from './tensor/tensor.js';
export { Rng, globalRng, manualSeed, type RngState } from './tensor/rng.js';
export { keepTensor, recycleTensors } from './tensor/recycling-scope.js';
export { ShapeError, formatShape, type Shape } from './tensor/shape.js';
export { availableBackends, getBackend, registerBackend, setBackend } from './backend/select.js';
export type { Backend, BackendName } from './backend/backend.js';
export {
  abs, add, concat, div, exp, flatten, gradcheck, log, matmul, max, maximum, mean, minimum, mul, narrow, neg, noGrad, enableGrad, isGradEnabled,
  permute, reshape, slice, sqrt, square, sub, sum, transpose, mulScalar, addScalar, type GradcheckOptions, type GradcheckResult,
} from './autograd/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
// Skip-connection blocks and the model zoo.
export * as blocks from './blocks/index.js';
export * as models from './models/index.js';
export { createModel, listModels, modelCatalog, type CatalogEntry, type ModelInfo, type ModelOptions } from './models/index.js';
export type { SkipEdge, SkipKind } from './blocks/index.js';
export { loadSafetensors, saveSafetensors, loadSafetensorsSync, saveSafetensorsSync, SafetensorsError } from './io/index.js';
// Interop: ONNX export and TensorBoard event files.
export { exportOnnx, buildOnnxModel, EventFileWriter, readEventFile, type OnnxExportOptions } from './io/index.js';
// Errors a user can fix (a bad file, field or flag), as opposed to bugs.
export { CheckpointError, DataError, UserInputError } from './util/errors.js';
