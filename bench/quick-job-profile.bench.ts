/**
 * Where one job of `skiplab experiment degradation --quick` spends its time on the native
 * backend: data loading and model building, the training steps (kernels by name and by
 * convolution shape, and the rest: autograd, tensor allocation, GC), and one evaluation. Times
 * are process CPU time (robust on a shared machine); the job's totals are extrapolated from
 * `steps` measured steps to the recipe's steps and evaluations.
 *
 *   npx tsx bench/quick-job-profile.bench.ts [run id=depth-44_skip-identity_seed-0] [threads=1] [steps=20]
 */
import type { Backend } from '../src/backend/backend.js';
import { configureNative } from '../src/backend/native/index.js';
import { setBackend } from '../src/backend/select.js';
import { crossEntropy } from '../src/autograd/functions/cross-entropy.js';
import { degradationSpec } from '../src/experiments/degradation.js';
import { expandSpec } from '../src/experiments/spec.js';
import { recycleTensors } from '../src/tensor/recycling-scope.js';
import { evaluateClassifier } from '../src/train/evaluate.js';
import { correctCount } from '../src/train/metrics.js';
import { prepareRun } from '../src/train/run-training.js';
import { cpuChargedBackend, nativeOrExit, processCpuMs } from './native-script.js';

const cpuMs = processCpuMs;
const native = nativeOrExit();
const id = process.argv[2] ?? 'depth-44_skip-identity_seed-0';
const threads = Number(process.argv[3] ?? 1);
const steps = Number(process.argv[4] ?? 20);
configureNative({ threads });

const run = expandSpec(degradationSpec({ mode: 'quick' })).find((r) => r.id === id);
if (!run) throw new Error(`quick-job-profile: no run '${id}' in the quick degradation spec`);
const config = run.config;

const charged = new Map<string, { ms: number; calls: number }>();
let kernelMs = 0;
setBackend(cpuChargedBackend(native, (name, args, ms) => {
  kernelMs += ms;
  // Convolutions by shape: input (N, C, H, W) and weight (O, C, kh, kw) or output.
  let key = name;
  if (name.startsWith('conv2d')) {
    const shapes = args.filter((a) => Array.isArray(a)) as number[][];
    key = `${name} ${shapes.map((s) => s.join('x')).join(' ')}`;
  }
  const entry = charged.get(key) ?? { ms: 0, calls: 0 };
  entry.ms += ms;
  entry.calls++;
  charged.set(key, entry);
}));

let start = cpuMs();
const prepared = prepareRun(config);
const prepareMs = cpuMs() - start;
const { model, optimizer, train, test } = prepared;
const params = model.parameters();
void params;
model.train();
const batches = train[Symbol.iterator]();
const stepOnce = (): void => {
  const batch = batches.next().value!;
  recycleTensors(() => {
    const output = model.forward(batch.x);
    const loss = crossEntropy(output, batch.y);
    loss.item();
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();
    correctCount(output, batch.y);
  });
};
stepOnce();
stepOnce();
charged.clear();
kernelMs = 0;
start = cpuMs();
const wall0 = performance.now();
for (let i = 0; i < steps; i++) stepOnce();
const stepMs = (cpuMs() - start) / steps;
const stepWall = (performance.now() - wall0) / steps;
const stepKernelMs = kernelMs / steps;
const stepCharges = [...charged].sort((a, b) => b[1].ms - a[1].ms);
charged.clear();
kernelMs = 0;
start = cpuMs();
evaluateClassifier(model, test!, { forwardBatch: config.batchSize }); // as the trainer does
const evalMs = cpuMs() - start;
const evalKernelMs = kernelMs;
const evalCharges = [...charged].sort((a, b) => b[1].ms - a[1].ms);

// A fingerprint of the weights after the measured steps: equal fingerprints mean bit-identical training.
let fingerprint = 0x811c9dc5;
for (const param of model.parameters()) {
  for (const byte of new Uint8Array(param.data.buffer, param.data.byteOffset, param.data.byteLength)) fingerprint = Math.imul(fingerprint ^ byte, 0x01000193) >>> 0;
}

const recipeSteps = config.epochs * train.batchesPerEpoch;
const evals = Math.floor(recipeSteps / config.evalEverySteps) + config.epochs;
console.log(`${id}: native ${threads} thread(s), ${recipeSteps} steps and ${evals} evaluations of ${test!.dataset.count} test images`);
console.log(`  weights after ${steps + 2} steps: fingerprint ${fingerprint.toString(16).padStart(8, '0')}`);
console.log(`  prepare (data, model)   ${prepareMs.toFixed(0).padStart(7)} ms CPU`);
console.log(`  one step                ${stepMs.toFixed(1).padStart(7)} ms CPU (${stepWall.toFixed(1)} ms wall), ${stepKernelMs.toFixed(1)} in kernels, ${(stepMs - stepKernelMs).toFixed(1)} outside`);
console.log(`  one evaluation          ${evalMs.toFixed(0).padStart(7)} ms CPU, ${evalKernelMs.toFixed(0)} in kernels`);
console.log(`  job estimate            ${((prepareMs + recipeSteps * stepMs + evals * evalMs) / 1000).toFixed(1).padStart(7)} s CPU = prepare ${(prepareMs / 1000).toFixed(1)} + steps ${((recipeSteps * stepMs) / 1000).toFixed(1)} + evaluations ${((evals * evalMs) / 1000).toFixed(1)}`);
console.log('  kernels per step:');
for (const [name, e] of stepCharges) {
  if (e.ms / steps < 0.05) continue;
  console.log(`    ${name.padEnd(64)} ${(e.ms / steps).toFixed(2).padStart(7)} ms ${((100 * e.ms) / steps / stepMs).toFixed(1).padStart(5)}%  ${(e.calls / steps).toFixed(0)} calls`);
}
console.log('  kernels of one evaluation:');
for (const [name, e] of evalCharges) {
  if (e.ms < 1) continue;
  console.log(`    ${name.padEnd(64)} ${e.ms.toFixed(1).padStart(7)} ms ${((100 * e.ms) / evalMs).toFixed(1).padStart(5)}%  ${e.calls} calls`);
}
