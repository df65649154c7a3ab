/**
 * One fresh process of the `memory` section of `npm run bench` (bench/memory-suite.ts): builds a
 * CIFAR ResNet (He et al. 2016 §4.2, option A shortcuts) from the registry and runs a few training
 * steps (forward, cross-entropy, backward, SGD with momentum 0.9) on random 3×32×32 input, then
 * prints one JSON line with the process's resident memory: the baseline right after the imports
 * and the backend choice, and the peak (getrusage's maxRSS, the kernel's high-water mark).
 *
 *   node --import tsx bench/memory-child.ts '{"backend":"native","threads":2,"model":"resnet56","batch":128,"steps":3}'
 *
 * With "probe": true it also records where the memory is: the bytes of every distinct tensor the
 * tape reaches from the loss at the end of forward, and — through gradient hooks on those
 * tensors — the largest resident set and ArrayBuffer total seen while backward runs.
 * With "gc": true (and node --expose-gc) it collects garbage between steps.
 */
import '../src/autograd/index.js';
import { crossEntropy } from '../src/autograd/functions/cross-entropy.js';
import { setBackend } from '../src/backend/select.js';
import { configureNative, loadNativeBackend } from '../src/backend/native/index.js';
import { typescriptBackend } from '../src/backend/ts/index.js';
import { createModel } from '../src/models/registry.js';
import { SGD } from '../src/optim/sgd.js';
import { Rng } from '../src/tensor/rng.js';
import { intTensor, randn, type Tensor } from '../src/tensor/tensor.js';
import { readProcStatus } from './memory-status.js';

interface ChildConfig { backend: 'native' | 'ts'; threads?: number; model: string; batch: number; steps: number; probe?: boolean; gc?: boolean }

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;

if (config.backend === 'native') {
  const native = loadNativeBackend();
  if (!native) throw new Error('memory-child: the native backend is not built (node scripts/build-native.mjs)');
  if (config.threads) configureNative({ threads: config.threads });
  setBackend(native);
} else {
  setBackend(typescriptBackend);
}
const baseline = readProcStatus();

const rng = new Rng(0);
const model = createModel(config.model, { rng });
const parameters = model.parameters();
const parameterCount = parameters.reduce((sum, p) => sum + p.size, 0);
const x = randn([config.batch, 3, 32, 32], { rng });
const labels = intTensor(Array.from({ length: config.batch }, () => rng.int(10)));
const optimizer = new SGD(parameters, { lr: 0.01, momentum: 0.9 });
const afterBuild = readProcStatus();

/** Every distinct tensor the tape reaches from `root` (its activations, parameters and inputs). */
function graphTensors(root: Tensor): Tensor[] {
  const seen = new Set<Tensor>([root]);
  const stack = [root];
  while (stack.length > 0) {
    for (const input of stack.pop()!.gradFn?.inputs ?? []) {
      if (!seen.has(input)) {
        seen.add(input);
        stack.push(input);
      }
    }
  }
  return [...seen];
}

interface Probe { graphTensors: number; graphActivationMB: number; afterForward: Sample; backwardPeak: Sample; afterBackward: Sample; afterStep: Sample }
interface Sample { rssMB: number; arrayBuffersMB: number; heapUsedMB: number }
const sample = (): Sample => {
  const m = process.memoryUsage();
  return { rssMB: m.rss / MB, arrayBuffersMB: m.arrayBuffers / MB, heapUsedMB: m.heapUsed / MB };
};

const probes: Probe[] = [];
const stepSeconds: number[] = [];
for (let step = 0; step < config.steps; step++) {
  const start = performance.now();
  const loss = crossEntropy(model.forward(x), labels);
  let probe: Probe | null = null;
  if (config.probe) {
    const tensors = graphTensors(loss);
    // Activations: tensors made by ops (not parameters, not the input), counted once per buffer.
    const buffers = new Set<ArrayBufferLike>();
    for (const t of tensors) if (!t.isLeaf) buffers.add(t.data.buffer);
    const activationBytes = [...buffers].reduce((sum, b) => sum + b.byteLength, 0);
    const peak = sample();
    probe = { graphTensors: tensors.length, graphActivationMB: activationBytes / MB, afterForward: sample(), backwardPeak: peak, afterBackward: peak, afterStep: peak };
    const current = probe;
    for (const t of tensors) {
      (t.gradHooks ??= []).push(() => {
        const s = sample();
        if (s.rssMB > current.backwardPeak.rssMB) current.backwardPeak = s;
      });
    }
  }
  optimizer.zeroGrad();
  loss.backward();
  if (probe) probe.afterBackward = sample();
  optimizer.step();
  if (probe) {
    probe.afterStep = sample();
    probes.push(probe);
  }
  stepSeconds.push((performance.now() - start) / 1000);
  if (config.gc && gc) gc();
}

const end = readProcStatus();
const usage = process.resourceUsage();
console.log(JSON.stringify({
  runtime: `node ${process.version}`,
  backend: config.backend,
  threads: config.threads ?? null,
  model: config.model,
  parameters: parameterCount,
  batch: config.batch,
  steps: config.steps,
  stepSeconds,
  baselineRssMB: baseline.rssKB / 1024,
  afterBuildRssMB: afterBuild.rssKB / 1024,
  endRssMB: end.rssKB / 1024,
  peakRssMB: usage.maxRSS / 1024,
  vmHwmMB: end.hwmKB / 1024,
  ...(config.probe ? { probes } : {}),
}));
