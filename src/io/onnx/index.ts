export { buildOnnxModel, exportOnnx, type OnnxExportOptions, type OnnxExportSummary } from './export.js';
export { IR_VERSION, onnx, OPSET_VERSION, type OnnxProto } from './onnx-schema.js';
