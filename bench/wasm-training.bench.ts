/**
 * Whole training steps on the wasm backend against the TypeScript reference, one thread:
 * ResNet-20 (He et al. 2016, §4.2) on 3x32x32 inputs and the classic 784-256-256-10 MLP, each
 * with batch 128, SGD with momentum 0.9 and weight decay 1e-4 (forward, cross-entropy,
 * backward, optimiser step). The targets: ResNet-20 ≥ 30 images/s, MLP ≥ 10× TF.js-cpu.
 *
 *   npm run build:wasm && npx tsx bench/wasm-training.bench.ts [--quick] [--tfjs]
 *
 * --tfjs adds TensorFlow.js on its CPU backend (bench/tfjs-models.ts). It is slow on ResNet-20
 * (well under 1 image/s), so its ResNet-20 row uses batch 8 and one timed step.
 *
 * Images/s is from the fastest step after one warm-up step (the machine is shared; the fastest
 * step is the least disturbed one). The loss of the second step (same seed,
 * same data) shows the two backends train the same network the same way.
 */
import { crossEntropy } from '../src/autograd/functions/cross-entropy.js';
import type { BackendName } from '../src/backend/backend.js';
import { setBackend } from '../src/backend/select.js';
import { Mlp } from '../src/models/mlp.js';
import { resnetCifar } from '../src/models/resnet-cifar.js';
import type { Module } from '../src/nn/module.js';
import { SGD } from '../src/optim/sgd.js';
import { Rng } from '../src/tensor/rng.js';
import { intTensor, randn, type Tensor } from '../src/tensor/tensor.js';
import type { TfjsCase } from './tfjs-models.js';

const quick = process.argv.includes('--quick');
const withTfjs = process.argv.includes('--tfjs');
const batch = 128;

interface Case {
  name: string;
  tfjs: TfjsCase;
  build: (rng: Rng) => Module & { forward(x: Tensor): Tensor };
  inputShape: number[];
  /** Steps timed per backend (the reference is slow on ResNet-20). */
  steps: Record<BackendName, number>;
}

const cases: Case[] = [
  { name: 'ResNet-20, 3x32x32', tfjs: 'resnet20', build: (rng) => resnetCifar({ depth: 20, rng }), inputShape: [3, 32, 32], steps: { wasm: quick ? 2 : 5, ts: quick ? 1 : 2, native: 0 } },
  { name: 'MLP 784-256-256-10', tfjs: 'mlp', build: (rng) => new Mlp({ rng }), inputShape: [784], steps: { wasm: quick ? 10 : 40, ts: quick ? 5 : 20, native: 0 } },
];


console.log(`training steps, batch ${batch}, Node ${process.version}, 1 thread${quick ? ' (quick)' : ''}`);
for (const c of cases) {
  const results: string[] = [];
  const rates: number[] = [];
  for (const name of ['wasm', 'ts'] as const) {
    const backend = setBackend(name);
    const rng = new Rng(3);
    const model = c.build(rng);
    const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
    const x = randn([batch, ...c.inputShape], { rng });
    const labels = intTensor(Array.from({ length: batch }, () => rng.int(10)));
    const times: number[] = [];
    let secondLoss = NaN;
    for (let step = 0; step <= c.steps[name]; step++) {
      const start = performance.now();
      optimizer.zeroGrad();
      const l = crossEntropy(model.forward(x), labels);
      l.backward();
      optimizer.step();
      if (step === 1) secondLoss = l.item();
      if (step > 0) times.push((performance.now() - start) / 1e3);
    }
    const rate = batch / Math.min(...times);
    rates.push(rate);
    results.push(`${backend.name} ${rate.toFixed(1).padStart(7)} images/s (2nd-step loss ${secondLoss.toFixed(4)})`);
  }
  let line = `${c.name.padEnd(22)} ${results.join('   ')}   wasm/ts ×${(rates[0]! / rates[1]!).toFixed(1)}`;
  if (withTfjs) {
    const { tfjsImagesPerSecond } = await import('./tfjs-models.js');
    const tfjsBatch = c.tfjs === 'resnet20' ? 8 : batch;
    const tfjs = await tfjsImagesPerSecond(c.tfjs, tfjsBatch, c.tfjs === 'resnet20' ? 1 : quick ? 3 : 10);
    line += `   tfjs-cpu ${tfjs.toFixed(2)} images/s (batch ${tfjsBatch}), wasm/tfjs ×${(rates[0]! / tfjs).toFixed(1)}`;
  }
  console.log(line);
}
