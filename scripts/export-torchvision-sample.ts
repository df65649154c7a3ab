/**
 * Helper of scripts/check_torchvision_load.py: export a seeded skiplab resnet18 through
 * `exportModel` (the code behind `skiplab export --safetensors`) and record one eval forward.
 *
 *   node --import tsx scripts/export-torchvision-sample.ts OUT_DIR
 *
 * Writes OUT_DIR/resnet18.safetensors (torchvision names) and OUT_DIR/sample.safetensors
 * (`input` (2, 3, 64, 64) and skiplab's eval `logits` (2, 1000)).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { noGrad } from '../src/autograd/no-grad.js';
import { exportModel } from '../src/cli/commands/export.js';
import { saveSafetensors } from '../src/io/safetensors.js';
import { createModel } from '../src/models/registry.js';
import { Buffer } from '../src/nn/module.js';
import { Rng } from '../src/tensor/rng.js';
import { Tensor } from '../src/tensor/tensor.js';

const out = process.argv[2];
if (!out) throw new Error('usage: export-torchvision-sample.ts OUT_DIR');
mkdirSync(out, { recursive: true });
const rng = new Rng(1);
const model = createModel('resnet18', { rng });
// Non-trivial batch-norm statistics, so the buffers are checked too.
for (const [name, t] of Object.entries(model.stateDict())) {
  if (!(t instanceof Buffer) || t.dtype !== 'float32') continue;
  for (let i = 0; i < t.size; i++) t.f32[i] = name.endsWith('running_var') ? 0.5 + rng.uniform() : 0.1 * rng.normal();
}
const state = join(out, 'skiplab-state.safetensors');
await saveSafetensors(state, model.stateDict());
const result = await exportModel({ source: state, model: 'resnet18', safetensors: join(out, 'resnet18.safetensors') });
const input = new Tensor(Float32Array.from({ length: 2 * 3 * 64 * 64 }, () => rng.normal()), [2, 3, 64, 64]);
const logits = noGrad(() => model.eval().forward(input));
await saveSafetensors(join(out, 'sample.safetensors'), { input, logits });
process.stdout.write(JSON.stringify(result) + '\n');
