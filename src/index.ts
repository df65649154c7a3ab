/**
 * skiplab — the public API for Node. PyTorch-shaped: `Tensor`, creation functions, autograd,
 * `nn`, `optim`, the skip `blocks` and the `models` zoo, the `analysis` functions, datasets, a
 * `Trainer`, and files (safetensors, ONNX, TensorBoard). Everything that also runs in a browser
 * comes from `./browser.ts` (what bundlers get through the package's `browser` condition); this
 * file adds what needs Node's file system.
 *
 * @module
 */
export * from './browser.js';
export {
  loadSafetensors, saveSafetensors, loadSafetensorsSync, saveSafetensorsSync, loadSafetensorsWithMetadata, loadSafetensorsWithMetadataSync,
} from './io/safetensors.js';
export { exportOnnx } from './io/onnx/export-file.js';
export { loadWeights, modelWithWeights, readStateDict, WeightsError, type WeightsSource } from './io/weights.js';
export { EventFileWriter, readEventFile, type TensorBoardEvent } from './io/tensorboard.js';
export { loadMnist, type MnistOptions } from './data/mnist.js';
export { loadFashionMnist, type FashionMnistOptions } from './data/fashion-mnist.js';
export { loadCifar10 } from './data/cifar10.js';
export { loadImageFolder, loadImageFolderSplit } from './data/image-folder.js';
export { loadImageDataset, DATASET_NAMES, type DatasetName, type LoadDatasetOptions } from './data/registry.js';
export {
  Trainer, TrainingDivergedError, type EpochReport, type StepReport, type TrainerCallback, type TrainerOptions, type TrainResult,
} from './train/trainer.js';
/** Errors a user can fix (a bad file, field or flag), as opposed to bugs. */
export { CheckpointError, DataError, UserInputError } from './util/errors.js';
