import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { writeFileAtomic } from '../atomic-write.js';
import { buildOnnxModel, type OnnxExportOptions, type OnnxExportSummary } from './export.js';

/**
 * Export `model` (traced in eval mode on `sampleInput`, shape (N, ...)) as an ONNX file at
 * `path`, written atomically. Example: `await exportOnnx(createModel('resnet20'), randn([1, 3, 32, 32]), 'resnet20.onnx')`.
 */
export async function exportOnnx(model: Module, sampleInput: Tensor, path: string, options: OnnxExportOptions = {}): Promise<OnnxExportSummary> {
  const summary = buildOnnxModel(model, sampleInput, options);
  await writeFileAtomic(path, summary.bytes);
  return summary;
}
