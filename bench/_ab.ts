import { setBackend } from '../src/backend/select.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { loadKernelsSync } from '../src/backend/wasm/loader.js';
import { Rng } from '../src/tensor/rng.js';
import { decodeLabAsset, encodeLabAsset } from '../web/src/asset.js';
import { LabRun } from '../web/src/lab-run.js';
import { defaultSettings } from '../web/src/settings.js';
const rng = new Rng(3);
const split = (count: number) => ({ images: Uint8Array.from({ length: count * 784 }, () => rng.int(256)), labels: Uint8Array.from({ length: count }, () => rng.int(10)), masks: null, count });
const data = decodeLabAsset(encodeLabAsset({ name: 'synthetic', classNames: Array.from({ length: 10 }, (_, i) => String(i)), task: 'classification', channels: 1, height: 28, width: 28, mean: [0.13], std: [0.31], train: split(512), test: split(16) }), 'synthetic.bin');
const sides = ['old', 'new', 'v2'].map((name) => { const r = loadKernelsSync(new URL(`file:///tmp/s6/kernels-${name}.wasm`)); if (!('kernels' in r)) throw new Error(r.reason); return { name, backend: createWasmBackend(r.kernels), cpu: [] as number[] }; });
const model = process.argv[2] ?? 'resnet8';
const settings = model === 'resnet20' ? { ...defaultSettings('resnet'), depth: 20, width: 8, batchSize: 32 } : model === 'densenet' ? { ...defaultSettings('densenet'), depth: 22, width: 4 } : { ...defaultSettings('resnet'), depth: 8, width: 8, batchSize: 32 };
for (let round = 0; round < 7; round++) for (const side of sides) {
  setBackend(side.backend);
  const run = new LabRun(settings, data, 1);
  for (let i = 0; i < 3; i++) run.trainStep();
  const steps = 12; const u = process.cpuUsage();
  for (let i = 0; i < steps; i++) run.trainStep();
  const d = process.cpuUsage(u); side.cpu.push((d.user + d.system) / 1000 / steps);
}
console.log(model + ': ' + sides.map((s) => { const v = [...s.cpu].sort((a, b) => a - b); return `${s.name} ${v[3]!.toFixed(1)} (min ${v[0]!.toFixed(1)})`; }).join(', ') + ' CPU ms/step, median of 7');
