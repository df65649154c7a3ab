export { buildOnnxModel, type OnnxExportOptions, type OnnxExportSummary } from './export.js';
export { exportOnnx } from './export-file.js';
export { IR_VERSION, onnx, OPSET_VERSION, type OnnxProto } from './onnx-schema.js';
