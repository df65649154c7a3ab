export {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  loadSafetensorsSync,
  loadSafetensorsWithMetadata,
  loadSafetensorsWithMetadataSync,
  METADATA_KEY,
  saveSafetensors,
  saveSafetensorsSync,
  SafetensorsError,
  type SafetensorsContents,
  type SafetensorsMetadata,
} from './safetensors.js';
export { SAFETENSORS_DTYPES, type SafetensorsDtype } from './safetensors-dtypes.js';
export { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';
export { loadWeights, modelWithWeights, readStateDict, WeightsError, type WeightsSource } from './weights.js';
export { buildOnnxModel, exportOnnx, type OnnxExportOptions, type OnnxExportSummary } from './onnx/index.js';
export { EventFileWriter, frameRecord, histogramOf, readEventFile, readRecords, type Histogram, type TensorBoardEvent } from './tensorboard.js';
