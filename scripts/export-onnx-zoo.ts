/**
 * Helper of scripts/check_onnx_checker.py: export one small configuration of every zoo family to
 * OUT_DIR/<label>.onnx (the same set test/io/onnx/export.test.ts runs in ONNX Runtime).
 *
 *   node --import tsx scripts/export-onnx-zoo.ts OUT_DIR
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { exportOnnx } from '../src/io/onnx/export-file.js';
import { createModel, type ModelOptions } from '../src/models/registry.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';

const zoo: [string, string, ModelOptions, number[]][] = [
  ['resnet20-optionA', 'resnet20', {}, [3, 32, 32]],
  ['plain20', 'resnet20', { skip: 'none' }, [3, 32, 32]],
  ['resnet8-preact-B', 'resnet_cifar', { depth: 8, block: 'preact', skip: 'projection' }, [3, 32, 32]],
  ['resnet18-64px', 'resnet18', {}, [3, 64, 64]],
  ['resnet50-64px', 'resnet50', {}, [3, 64, 64]],
  ['densenet121-64px', 'densenet121', {}, [3, 64, 64]],
  ['densenet-bc-40', 'densenet_bc_40', {}, [3, 32, 32]],
  ['highway-fc', 'highway_fc', {}, [1, 28, 28]],
  ['highway-conv', 'highway_conv', {}, [1, 28, 28]],
  ['unet-37x45-pad', 'unet', { levels: 3, baseWidth: 4, oddSizes: 'pad' }, [1, 37, 45]],
  ['unet-37x45-crop', 'unet', { levels: 3, baseWidth: 4, oddSizes: 'crop' }, [1, 37, 45]],
  ['transformer', 'transformer_classifier', { dim: 32, heads: 4, layers: 2 }, [1, 28, 28]],
];

const out = process.argv[2];
if (!out) throw new Error('usage: export-onnx-zoo.ts OUT_DIR');
mkdirSync(out, { recursive: true });
for (const [label, name, options, shape] of zoo) {
  const rng = new Rng(3);
  const model = createModel(name, { ...options, rng });
  const sample = new Tensor(Float32Array.from({ length: 2 * shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), [2, ...shape]);
  await exportOnnx(model, sample, join(out, `${label}.onnx`));
  process.stdout.write(`${label}\n`);
}
